import { performance } from 'node:perf_hooks';
import type { RedisTarget, SubjectDefinition } from '../subjects/subject';
import { buildAll, closeAll, keyRange, populate, roundRobin } from '../support/harness';
import { median, throughput } from '../support/measure';
import { countingLoader, recordFor, type BenchRecord } from '../support/record';
import type { BenchSettings } from '../support/settings';

export interface MemoryRow {
  readonly id: string;
  readonly label: string;
  readonly na?: string;
  readonly opsPerSec?: number;
  /** Median ops/s ÷ the plain Map's median ops/s, same run. */
  readonly ratioToMap?: number;
}

export interface MemoryResult {
  readonly rows: MemoryRow[];
  /** A synchronous `map.get` loop, for scale: what no async API can reach. */
  readonly syncMapOpsPerSec: number;
}

/** In-process hit path: each memory tier (and a plain Map) behind the same async call, 64 in flight. */
export async function memoryScenario(
  defs: readonly SubjectDefinition[],
  target: RedisTarget,
  s: BenchSettings,
): Promise<MemoryResult> {
  const built = await buildAll(defs, target, 'l1');
  try {
    const keys = keyRange('user:', s.hitKeys);
    const live = built.filter((b) => b.subject);
    const loaders = new Map(live.map((b) => [b.def.id, countingLoader()]));
    for (const b of live) await populate(b.subject!, keys, loaders.get(b.def.id)!.loader);
    const read = (id: string) => {
      const subject = live.find((b) => b.def.id === id)!.subject!;
      const { loader } = loaders.get(id)!;
      return (i: number) => subject.get(keys[i % keys.length], loader);
    };
    for (const b of live) await throughput(read(b.def.id), s.inFlight, s.warmupMs / 2);
    const ops = await roundRobin(live, s.memoryRounds, (b) =>
      throughput(read(b.def.id), s.inFlight, s.memoryRoundMs),
    );
    const baseline = median(ops.get('map') ?? []);
    const rows = built.map((b): MemoryRow => {
      const id = b.def.id;
      if (!b.subject) return { id, label: b.def.label, na: b.unavailable };
      return {
        id,
        label: b.def.label,
        opsPerSec: median(ops.get(id)!),
        ratioToMap: median(ops.get(id)!) / baseline,
      };
    });
    return { rows, syncMapOpsPerSec: syncMapRate(keys, s.memoryRoundMs) };
  } finally {
    await closeAll(built);
  }
}

function syncMapRate(keys: readonly string[], durationMs: number): number {
  const map = new Map<string, BenchRecord>(keys.map((key) => [key, recordFor(key)]));
  let count = 0;
  let sink = 0;
  const started = performance.now();
  const end = started + durationMs;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) sink += map.get(keys[(count + i) % keys.length])!.score;
    count += 1000;
  }
  if (sink < 0) console.log(sink); // keeps the loop from being optimised away
  return count / ((performance.now() - started) / 1000);
}
