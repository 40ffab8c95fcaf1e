import {
  NotAvailable,
  type RedisTarget,
  type Subject,
  type SubjectDefinition,
} from '../subjects/subject';
import { bounded } from './measure';
import type { Loader } from './record';

/** A subject built for one scenario, or why it could not be. */
export interface Built {
  readonly def: SubjectDefinition;
  readonly subject?: Subject;
  readonly unavailable?: string;
}

const SETUP_LIMIT_MS = 10_000;
const CLOSE_LIMIT_MS = 3_000;

/** Why a subject cannot run, as its row shows it. */
export function reasonOf(error: unknown): string {
  if (error instanceof NotAvailable) return error.message;
  return `n/a: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
}

/** Builds each subject with keys under `bench:<scenario>:<id>:`, bounded in time. */
export async function buildAll(
  defs: readonly SubjectDefinition[],
  target: RedisTarget,
  scenario: string,
): Promise<Built[]> {
  const built: Built[] = [];
  for (const def of defs) {
    const result = await bounded(
      () => def.create(target, `bench:${scenario}:${def.id}:`),
      SETUP_LIMIT_MS,
    );
    if (result.outcome === 'value') built.push({ def, subject: result.value });
    else if (result.outcome === 'error') built.push({ def, unavailable: reasonOf(result.error) });
    else built.push({ def, unavailable: `n/a: setup took more than ${SETUP_LIMIT_MS} ms` });
  }
  return built;
}

/** Closes every subject, none allowed to hold the bench up. */
export async function closeAll(built: readonly Built[]): Promise<void> {
  await Promise.all(
    built.flatMap(({ subject }) =>
      subject ? [bounded(() => subject.close(), CLOSE_LIMIT_MS)] : [],
    ),
  );
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Stores every key through the subject itself (so each library writes its own format). */
export async function populate(
  subject: Subject,
  keys: readonly string[],
  loader: Loader,
): Promise<void> {
  await forEachLimit(keys, 64, (key) => subject.get(key, loader));
  await subject.settle();
}

/** Round `r`'s order: rotated each round so that no subject always runs first or last. */
export function rotated<T>(items: readonly T[], round: number): T[] {
  const shift = round % Math.max(1, items.length);
  return [...items.slice(shift), ...items.slice(0, shift)];
}

export function keyRange(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

/** `rounds` measurements of every item, in an order rotated each round; samples by subject id. */
export async function roundRobin(
  items: readonly Built[],
  rounds: number,
  measure: (item: Built) => Promise<number>,
  afterEach: (item: Built) => Promise<void> = async () => undefined,
): Promise<Map<string, number[]>> {
  const samples = new Map<string, number[]>(items.map((b) => [b.def.id, []]));
  for (let round = 0; round < rounds; round++) {
    for (const b of rotated(items, round)) {
      samples.get(b.def.id)!.push(await measure(b));
      await afterEach(b);
    }
  }
  return samples;
}
