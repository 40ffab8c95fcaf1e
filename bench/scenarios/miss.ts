import type { RedisTarget, SubjectDefinition } from '../subjects/subject';
import { buildAll, closeAll, rotated } from '../support/harness';
import { latency, median, throughput } from '../support/measure';
import { recordFor, type Loader } from '../support/record';
import type { BenchSettings } from '../support/settings';

export interface MissRow {
  readonly id: string;
  readonly label: string;
  readonly na?: string;
  readonly opsPerSec?: number;
  readonly ratio?: number;
  /** Sequential miss latency, µs. */
  readonly p50?: number;
}

/**
 * Miss path: every call a key never seen before, a loader that returns at once. Writes a subject
 * sends in the background are settled between runs, outside the timing.
 */
export async function missScenario(defs: readonly SubjectDefinition[], target: RedisTarget, s: BenchSettings): Promise<MissRow[]> {
  const built = await buildAll(defs, target, 'miss');
  try {
    const live = built.filter((b) => b.subject);
    const loader: Loader = (key) => recordFor(key);
    let serial = 0;
    const miss = (subjectIndex: number) => {
      const subject = live[subjectIndex].subject!;
      return () => subject.get(`miss:${serial++}`, loader);
    };
    const indexOf = (id: string) => live.findIndex((b) => b.def.id === id);

    for (const b of live) {
      await throughput(miss(indexOf(b.def.id)), s.inFlight, s.warmupMs / 2);
      await b.subject!.settle();
    }
    const ops = new Map<string, number[]>(live.map((b) => [b.def.id, []]));
    const ratios = new Map<string, number[]>(live.map((b) => [b.def.id, []]));
    for (let round = 0; round < s.missRounds; round++) {
      const thisRound = new Map<string, number>();
      for (const b of rotated(live, round)) {
        thisRound.set(b.def.id, await throughput(miss(indexOf(b.def.id)), s.inFlight, s.missRoundMs));
        await b.subject!.settle();
      }
      const base = thisRound.get('raw');
      for (const [id, value] of thisRound) {
        ops.get(id)!.push(value);
        if (base) ratios.get(id)!.push(value / base);
      }
    }
    const p50s = new Map<string, number>();
    for (const b of live) {
      p50s.set(b.def.id, (await latency(miss(indexOf(b.def.id)), s.missLatencyCalls)).p50);
      await b.subject!.settle();
    }
    return built.map((b): MissRow => {
      const id = b.def.id;
      if (!b.subject) return { id, label: b.def.label, na: b.unavailable };
      return { id, label: b.def.label, opsPerSec: median(ops.get(id)!), ratio: median(ratios.get(id)!), p50: p50s.get(id) };
    });
  } finally {
    await closeAll(built);
  }
}
