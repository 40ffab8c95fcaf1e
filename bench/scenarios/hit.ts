import type { RedisTarget, SubjectDefinition } from '../subjects/subject';
import { buildAll, closeAll, keyRange, populate, rotated, roundRobin } from '../support/harness';
import { latency, median, ratioTo, throughput } from '../support/measure';
import { countingLoader } from '../support/record';
import type { BenchSettings } from '../support/settings';

export interface HitRow {
  readonly id: string;
  readonly label: string;
  readonly na?: string;
  /** Median over rounds, 64 in flight. */
  readonly opsPerSec?: number;
  /** Median ops/s ÷ raw ioredis's median ops/s, same run. */
  readonly ratio?: number;
  /** Median ops/s ÷ raw node-redis's median ops/s, same run (when it ran). */
  readonly ratioToNodeRedis?: number;
  /** ops/s of each round, in round order. */
  readonly rounds?: number[];
  /** Sequential latency in µs: medians over rounds. */
  readonly p50?: number;
  readonly p99?: number;
  /** Loader calls while every key was supposed to be cached (should be 0). */
  readonly loadsDuringHits?: number;
}

/**
 * Hit path, Redis tier: every key stored first through the subject itself, then read back at 64
 * in flight (rounds in rotating order; medians, and ratios to raw ioredis's median) and one at a
 * time for latency.
 */
export async function hitScenario(
  defs: readonly SubjectDefinition[],
  target: RedisTarget,
  s: BenchSettings,
): Promise<HitRow[]> {
  const built = await buildAll(defs, target, 'hit');
  try {
    const keys = keyRange('user:', s.hitKeys);
    const live = built.filter((b) => b.subject);
    const loaders = new Map(live.map((b) => [b.def.id, countingLoader()]));
    for (const b of live) await populate(b.subject!, keys, loaders.get(b.def.id)!.loader);
    const loadsBefore = new Map(live.map((b) => [b.def.id, loaders.get(b.def.id)!.calls()]));

    const read = (id: string) => {
      const subject = live.find((b) => b.def.id === id)!.subject!;
      const { loader } = loaders.get(id)!;
      return (i: number) => subject.get(keys[i % keys.length], loader);
    };
    for (const b of live) await throughput(read(b.def.id), s.inFlight, s.warmupMs);

    const ops = await roundRobin(live, s.hitRounds, (b) =>
      throughput(read(b.def.id), s.inFlight, s.hitRoundMs),
    );
    const baseline = median(ops.get('raw') ?? []);
    const nodeRedisBaseline = median(ops.get('raw-node-redis') ?? []);

    // Sequential warm-up first: the first timed calls after the throughput rounds are the noisiest.
    for (const b of live) await latency(read(b.def.id), Math.min(500, s.latencyCalls));
    const p50s = new Map<string, number[]>(live.map((b) => [b.def.id, []]));
    const p99s = new Map<string, number[]>(live.map((b) => [b.def.id, []]));
    for (let round = 0; round < s.latencyRounds; round++) {
      for (const b of rotated(live, round)) {
        const { p50, p99 } = await latency(read(b.def.id), s.latencyCalls);
        p50s.get(b.def.id)!.push(p50);
        p99s.get(b.def.id)!.push(p99);
      }
    }

    return built.map((b): HitRow => {
      const id = b.def.id;
      if (!b.subject) return { id, label: b.def.label, na: b.unavailable };
      return {
        id,
        label: b.def.label,
        opsPerSec: median(ops.get(id)!),
        ratio: median(ops.get(id)!) / baseline,
        ratioToNodeRedis: ratioTo(median(ops.get(id)!), nodeRedisBaseline),
        rounds: ops.get(id)!,
        p50: median(p50s.get(id)!),
        p99: median(p99s.get(id)!),
        loadsDuringHits: loaders.get(id)!.calls() - loadsBefore.get(id)!,
      };
    });
  } finally {
    await closeAll(built);
  }
}
