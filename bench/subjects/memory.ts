import type { BenchRecord } from '../support/record';
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

/** cache-aside has no in-process tier yet; the row says so until it has one. */
export const cacheAsideL1: SubjectDefinition = {
  id: 'cache-aside-l1',
  label: 'cache-aside L1 tier',
  tier: 'memory',
  async create() {
    throw new NotAvailable('n/a (no L1 tier yet)');
  },
};
