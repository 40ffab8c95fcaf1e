import type { RedisTarget, SubjectDefinition } from '../subjects/subject';
import { BenchWorker, type WorkerReply } from '../support/children';
import { quietErrors, redisClient } from '../support/clients';
import { buildAll, closeAll } from '../support/harness';
import { stampede } from './stampede-load';

/** A worker's refusal, told apart from its answer by `ok`. */
const isFailure = (r: WorkerReply): r is Extract<WorkerReply, { ok: false }> => !r.ok;

export const STAMPEDE_CALLS = 200;
export const STAMPEDE_PROCESSES = 4;
/** Long enough that every process has missed before the first load can finish. */
const LOADER_MS = 100;

export interface StampedeRow {
  readonly id: string;
  readonly label: string;
  /** Loader calls for 200 concurrent misses of one key in this process, or why not measured. */
  readonly oneProcess: number | string;
  /** Loader calls for 4 processes × 50 concurrent misses of one key, started together. */
  readonly fourProcesses: number | string;
  /** Calls that rejected instead of returning the value. */
  readonly errors: number;
}

export async function stampedeScenario(
  defs: readonly SubjectDefinition[],
  target: RedisTarget,
): Promise<StampedeRow[]> {
  const counter = quietErrors(redisClient(target));
  try {
    const inProcess = await oneProcess(defs, target, counter);
    const crossProcess = await fourProcesses(defs, target, counter);
    return defs.map((def) => ({
      id: def.id,
      label: def.label,
      oneProcess: inProcess.get(def.id)!.calls,
      fourProcesses: crossProcess.get(def.id)!.calls,
      errors: inProcess.get(def.id)!.errors + crossProcess.get(def.id)!.errors,
    }));
  } finally {
    counter.disconnect();
  }
}

type Counted = Map<string, { calls: number | string; errors: number }>;

async function oneProcess(
  defs: readonly SubjectDefinition[],
  target: RedisTarget,
  counter: ReturnType<typeof redisClient>,
): Promise<Counted> {
  const built = await buildAll(defs, target, 'stampede1');
  const counted: Counted = new Map();
  try {
    for (const b of built) {
      if (!b.subject) {
        counted.set(b.def.id, { calls: b.unavailable!, errors: 0 });
        continue;
      }
      const counterKey = `bench:stampede1:calls:${b.def.id}`;
      const { errors } = await stampede(
        b.subject,
        counter,
        'hot',
        counterKey,
        STAMPEDE_CALLS,
        LOADER_MS,
      );
      counted.set(b.def.id, { calls: Number(await counter.get(counterKey)), errors });
    }
  } finally {
    await closeAll(built);
  }
  return counted;
}

async function fourProcesses(
  defs: readonly SubjectDefinition[],
  target: RedisTarget,
  counter: ReturnType<typeof redisClient>,
): Promise<Counted> {
  const workers = Array.from(
    { length: STAMPEDE_PROCESSES },
    () =>
      new BenchWorker('scenarios/stampede-worker.ts', { BENCH_REDIS_PORT: String(target.port) }),
  );
  const counted: Counted = new Map();
  try {
    for (const def of defs) {
      const prefix = `bench:stampede4:${def.id}:`;
      // The barrier: every process has built its subject before any is told to go.
      const setups = await Promise.all(
        workers.map((w) => w.request({ cmd: 'setup', id: def.id, prefix })),
      );
      const failed = setups.find(isFailure);
      if (failed) {
        counted.set(def.id, { calls: failed.reason, errors: 0 });
        continue;
      }
      const counterKey = `bench:stampede4:calls:${def.id}`;
      const go = {
        cmd: 'go',
        id: def.id,
        key: 'hot',
        counterKey,
        concurrency: STAMPEDE_CALLS / STAMPEDE_PROCESSES,
        loaderMs: LOADER_MS,
      };
      const replies = await Promise.all(workers.map((w) => w.request(go)));
      const broken = replies.find(isFailure);
      const errors = replies.reduce((sum, r) => sum + (r.ok ? Number(r.errors) : 0), 0);
      counted.set(def.id, {
        calls: broken ? `n/a: ${broken.reason}` : Number(await counter.get(counterKey)),
        errors,
      });
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
  return counted;
}
