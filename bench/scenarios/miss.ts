import type { RedisTarget, SubjectDefinition } from '../subjects/subject';
import { buildAll, closeAll, roundRobin, type Built } from '../support/harness';
import { latency, median, ratioTo, throughput } from '../support/measure';
import { recordFor, type Loader } from '../support/record';
import type { BenchSettings } from '../support/settings';

export interface MissRow {
  readonly id: string;
  readonly label: string;
  readonly na?: string;
  readonly opsPerSec?: number;
  /** Median ops/s ÷ raw ioredis's median ops/s, same run. */
  readonly ratio?: number;
  /** Median ops/s ÷ raw node-redis's median ops/s, same run (when it ran). */
  readonly ratioToNodeRedis?: number;
  readonly rounds?: number[];
  /** Sequential miss latency, µs. */
  readonly p50?: number;
}

/**
 * Miss path: every call a key never seen before, a loader that returns at once. Writes a subject
 * sends in the background are settled between runs, outside the timing.
 */
export async function missScenario(
  defs: readonly SubjectDefinition[],
  target: RedisTarget,
  s: BenchSettings,
): Promise<MissRow[]> {
  const built = await buildAll(defs, target, 'miss');
  try {
    const live = built.filter((b) => b.subject);
    const loader: Loader = (key) => recordFor(key);
    let serial = 0;
    const miss = (b: Built) => () => b.subject!.get(`miss:${serial++}`, loader);

    for (const b of live) {
      await throughput(miss(b), s.inFlight, s.warmupMs / 2);
      await b.subject!.settle();
    }
    const ops = await roundRobin(
      live,
      s.missRounds,
      (b) => throughput(miss(b), s.inFlight, s.missRoundMs),
      (b) => b.subject!.settle(),
    );
    const baseline = median(ops.get('raw') ?? []);
    const nodeRedisBaseline = median(ops.get('raw-node-redis') ?? []);
    const p50s = new Map<string, number>();
    for (const b of live) {
      p50s.set(b.def.id, (await latency(miss(b), s.missLatencyCalls)).p50);
      await b.subject!.settle();
    }
    return built.map((b): MissRow => {
      const id = b.def.id;
      if (!b.subject) return { id, label: b.def.label, na: b.unavailable };
      return {
        id,
        label: b.def.label,
        opsPerSec: median(ops.get(id)!),
        ratio: median(ops.get(id)!) / baseline,
        ratioToNodeRedis: ratioTo(median(ops.get(id)!), nodeRedisBaseline),
        rounds: ops.get(id)!,
        p50: p50s.get(id),
      };
    });
  } finally {
    await closeAll(built);
  }
}
