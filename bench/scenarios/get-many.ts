import type { RedisTarget, SubjectDefinition } from '../subjects/subject';
import { buildAll, closeAll, keyRange, populate, rotated } from '../support/harness';
import { median, throughput } from '../support/measure';
import { countingLoader, recordFor } from '../support/record';
import type { BenchSettings } from '../support/settings';

export const BATCH_SIZE = 100;

export interface BatchRow {
  readonly id: string;
  readonly label: string;
  readonly na?: string;
  /** µs for one batch read of 100 cached keys (median over rounds); undefined without such a call. */
  readonly batchUs?: number;
  /** µs for 100 single reads of the same keys, all in flight together. */
  readonly singlesUs?: number;
  /** Loader calls while every key was cached (should be 0). */
  readonly loadsDuringHits?: number;
}

/** `getMany` of 100 cached keys against 100 single gets sent together, one batch at a time. */
export async function getManyScenario(
  defs: readonly SubjectDefinition[],
  target: RedisTarget,
  s: BenchSettings,
): Promise<BatchRow[]> {
  const built = await buildAll(defs, target, 'many');
  try {
    const keys = keyRange('item:', BATCH_SIZE);
    const live = built.filter((b) => b.subject);
    const loaders = new Map(live.map((b) => [b.def.id, countingLoader()]));
    for (const b of live) await populate(b.subject!, keys, loaders.get(b.def.id)!.loader);
    const before = new Map(live.map((b) => [b.def.id, loaders.get(b.def.id)!.calls()]));
    const batchLoader = async (missing: string[]) => missing.map((key) => recordFor(key));

    const batch = new Map<string, number[]>(live.map((b) => [b.def.id, []]));
    const singles = new Map<string, number[]>(live.map((b) => [b.def.id, []]));
    for (let round = 0; round < s.batchRounds; round++) {
      for (const b of rotated(live, round)) {
        const subject = b.subject!;
        const { loader } = loaders.get(b.def.id)!;
        if (subject.getMany) {
          const perSecond = await throughput(
            () => subject.getMany!(keys, batchLoader),
            1,
            s.batchRoundMs,
          );
          batch.get(b.def.id)!.push(1e6 / perSecond);
        }
        const perSecond = await throughput(
          () => Promise.all(keys.map((key) => subject.get(key, loader))),
          1,
          s.batchRoundMs,
        );
        singles.get(b.def.id)!.push(1e6 / perSecond);
      }
    }
    return built.map((b): BatchRow => {
      const id = b.def.id;
      if (!b.subject) return { id, label: b.def.label, na: b.unavailable };
      return {
        id,
        label: b.def.label,
        batchUs: batch.get(id)!.length > 0 ? median(batch.get(id)!) : undefined,
        singlesUs: median(singles.get(id)!),
        loadsDuringHits: loaders.get(id)!.calls() - before.get(id)!,
      };
    });
  } finally {
    await closeAll(built);
  }
}
