import { CacheAsideManager } from '../../lib';
import { dropClient, quietErrors, redisClient } from '../support/clients';
import { sleep } from '../support/measure';
import { recordFor, type BenchRecord } from '../support/record';
import { NotAvailable, type SubjectDefinition } from './subject';

/** The floor of an in-process tier: a Map lookup behind the same async call as every subject. */
export const plainMap: SubjectDefinition = {
  id: 'map',
  label: 'plain `Map` (get, else load and set)',
  tier: 'memory',
  async create() {
    const map = new Map<string, BenchRecord>();
    return {
      async get(key, loader) {
        const found = map.get(key);
        if (found !== undefined) return found;
        const value = await loader(key);
        map.set(key, value);
        return value;
      },
      settle: async () => undefined,
      close: async () => map.clear(),
    };
  },
};

const L1_READY_WITHIN_MS = 3000;

/**
 * `manager.get` with the in-process tier on (`l1`). The tier serves reads only while its
 * invalidation subscription is live, so the subject waits until a repeated read is an L1 hit;
 * a manager without the tier never gets there and the row says so.
 */
export const cacheAsideL1: SubjectDefinition = {
  id: 'cache-aside-l1',
  label: 'cache-aside `manager.get`, L1 tier',
  tier: 'memory',
  async create(target, prefix) {
    const redis = quietErrors(redisClient(target));
    const manager = new CacheAsideManager({
      redis,
      keyPrefix: prefix,
      l1: { maxEntries: 100_000 },
    });
    const close = async (): Promise<void> => {
      await manager.close();
      dropClient(redis);
    };
    const l1Hits = (): number => (manager.stats() as { l1Hits?: number }).l1Hits ?? 0;
    const deadline = Date.now() + L1_READY_WITHIN_MS;
    await manager.get('l1-probe', recordFor);
    await manager.settle();
    while (l1Hits() === 0) {
      if (Date.now() > deadline) {
        await close();
        throw new NotAvailable('n/a (no L1 tier yet)');
      }
      await manager.get('l1-probe', recordFor);
      await sleep(20);
    }
    return {
      get: (key, loader) => manager.get(key, loader),
      settle: () => manager.settle(),
      close,
    };
  },
};
