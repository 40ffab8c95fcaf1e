import type Redis from 'ioredis';
import type { Subject } from '../subjects/subject';
import { sleep } from '../support/measure';
import { recordFor, type Loader } from '../support/record';

/**
 * `concurrency` calls for one cold key at once, through a loader that counts itself in Redis
 * (INCR, so that calls from several processes add up) and takes `loaderMs`.
 */
export async function stampede(
  subject: Subject,
  counter: Redis,
  key: string,
  counterKey: string,
  concurrency: number,
  loaderMs: number,
): Promise<{ errors: number }> {
  const loader: Loader = async (k) => {
    await counter.incr(counterKey);
    await sleep(loaderMs);
    return recordFor(k);
  };
  const results = await Promise.allSettled(
    Array.from({ length: concurrency }, () => subject.get(key, loader)),
  );
  await subject.settle();
  return { errors: results.filter((r) => r.status === 'rejected').length };
}
