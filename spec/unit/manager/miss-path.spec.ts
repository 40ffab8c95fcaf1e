import type { CacheError } from '../../../lib/errors/cache-error';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import { newLeaseMarker } from '../../../lib/manager/load-lease';
import { MemoryStore } from '../../../lib/redis/clients/memory-store';

/**
 * The miss path (lib/manager/miss-path.ts), driven through a manager on the embedded memory
 * store: two managers on one store stand for two processes sharing a Redis. Leases are short, so
 * the waits these specs provoke stay within a few hundred milliseconds.
 */
const LEASE_TTL_MS = 200;

describe('MissPath', () => {
  let store: MemoryStore;
  let managers: CacheAsideManager[];
  let errors: CacheError[];

  function manager(): CacheAsideManager {
    const cache = new CacheAsideManager({
      redis: store,
      keyPrefix: 'mp:',
      leaseTtlMs: LEASE_TTL_MS,
      ttlJitter: 0,
    });
    cache.on('error', (error) => errors.push(error));
    managers.push(cache);
    return cache;
  }

  beforeEach(() => {
    store = new MemoryStore();
    managers = [];
    errors = [];
  });

  afterEach(async () => {
    await Promise.all(managers.map((m) => m.close()));
  });

  describe('load()', () => {
    it('takes the lease, calls the loader once, and stores the value in place of the lease', async () => {
      const cache = manager();
      let loads = 0;
      const loader = () => ++loads;
      expect(await cache.get('k', loader)).toBe(1);
      await cache.settle();
      expect(store.get('mp:k')?.subarray(0, 1)).toEqual(Buffer.from([0xca])); // an entry, not a lease
      expect(await cache.get('k', loader)).toBe(1);
      expect(loads).toBe(1);
    });

    it('waits for the process holding the lease and answers with the value it stores', async () => {
      const holder = manager();
      const waiter = manager();
      let release!: (value: string) => void;
      const slow = holder.get('k', () => new Promise<string>((resolve) => (release = resolve)));
      await new Promise((resolve) => setImmediate(resolve)); // the holder has taken the lease
      let waiterLoads = 0;
      const waiting = waiter.get('k', () => `waiter ${++waiterLoads}`);
      release('from the holder');
      expect(await slow).toBe('from the holder');
      expect(await waiting).toBe('from the holder');
      expect(waiterLoads).toBe(0);
    });

    it('loads without storing when a lease outlives its holder (no one waits for ever)', async () => {
      const cache = manager();
      // A lease nobody will ever fill, longer than this manager's own lease period (another
      // process configured with a longer leaseTtlMs, then crashed).
      store.set('mp:orphan', newLeaseMarker(), 60_000);
      const started = performance.now();
      expect(await cache.get('orphan', () => 'loaded')).toBe('loaded');
      // Bounded by the lease period (plus the margin and backoff), not for ever.
      expect(performance.now() - started).toBeLessThan(LEASE_TTL_MS * 10);
      await cache.settle();
      expect(store.get('mp:orphan')?.toString('latin1')).toMatch(/^CA~lease~/); // not overwritten
    });

    it('takes over a lease marker that never expires (ours always do): no read waits on it', async () => {
      const cache = manager();
      store.set('mp:planted', newLeaseMarker(), 0);
      const started = performance.now();
      expect(await cache.get('planted', () => 'loaded')).toBe('loaded');
      expect(performance.now() - started).toBeLessThan(LEASE_TTL_MS);
      await cache.settle();
      expect(await cache.get('planted', () => 'again')).toBe('loaded');
    });

    it('does not store a value loaded before an invalidation of its key', async () => {
      const cache = manager();
      let release!: (value: string) => void;
      const loading = cache.get('k', () => new Promise<string>((resolve) => (release = resolve)));
      await new Promise((resolve) => setImmediate(resolve));
      await cache.invalidate('k');
      release('loaded before the invalidation');
      expect(await loading).toBe('loaded before the invalidation');
      await cache.settle();
      expect(store.get('mp:k')).toBeNull();
    });
  });

  describe('grace and timeouts', () => {
    it('answers with the old value inside its grace window when the loader fails', async () => {
      const cache = manager();
      const options = { ttl: 0.05, grace: 60 };
      await cache.get('k', () => 'old', options); // stored with the grace window's extra life
      await cache.settle();
      await new Promise((resolve) => setTimeout(resolve, 80)); // past the TTL, inside grace
      const value = await cache.get(
        'k',
        () => {
          throw new Error('database down');
        },
        options,
      );
      expect(value).toBe('old');
    });

    it('rejects with the loader’s own error when there is no old value to answer with', async () => {
      const cache = manager();
      const failure = new Error('database down');
      await expect(
        cache.get('k', () => {
          throw failure;
        }),
      ).rejects.toBe(failure);
      await cache.settle();
      expect(store.get('mp:k')).toBeNull(); // nothing stored, the lease released
    });

    it('stops waiting for a slow loader at hardTimeoutMs and reports LOADER_TIMEOUT', async () => {
      const cache = manager();
      const never = new Promise<string>(() => undefined);
      await expect(cache.get('k', () => never, { hardTimeoutMs: 30 })).rejects.toMatchObject({
        code: 'LOADER_TIMEOUT',
      });
    });
  });
});
