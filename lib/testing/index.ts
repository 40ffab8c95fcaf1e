/**
 * `cache-aside/testing`: the library on the embedded memory store, for an application's own unit
 * tests and for trying it out with no Redis at all. Same semantics as on Redis (expiry, leases,
 * tags, invalidation by pattern, the L1 bus), in one process.
 */
import { CacheAsideManager, type CacheAsideOptions } from '../index';
import { MemoryStore } from '../redis/clients/memory-store';

export { MemoryStore };

/** Every option of `CacheAsideManager` but `redis`, which is a new `MemoryStore` unless given. */
export type InMemoryManagerOptions = Omit<CacheAsideOptions, 'redis'> & {
  /** A store to share between managers (as processes share a Redis), or to look inside. @default a new MemoryStore */
  redis?: MemoryStore;
};

/**
 * A `CacheAsideManager` on a fresh in-process store (or on `options.redis`, to share one store
 * between managers, as two processes share a Redis, or to look inside it). Close it with
 * `close()` as any manager. The store holds no socket and no timer that keeps a process alive;
 * `store.clear()` empties it between tests.
 */
export function createInMemoryManager(options: InMemoryManagerOptions = {}): CacheAsideManager {
  return new CacheAsideManager({ ...options, redis: options.redis ?? new MemoryStore() });
}
