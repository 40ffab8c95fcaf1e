import type Redis from 'ioredis';
import { dropClient, quietErrors, redisClient } from '../support/clients';
import type { BenchRecord } from '../support/record';
import { BENCH_TTL_SECONDS, importPeer, type Subject, type SubjectDefinition } from './subject';

const TTL_MS = BENCH_TTL_SECONDS * 1000;

// The few members of cache-manager 7 / keyv 5 the bench uses (see importPeer for why local).
interface CacheManagerCache {
  wrap<T>(key: string, fn: () => T | Promise<T>, ttl?: number): Promise<T>;
  mget<T>(keys: string[]): Promise<Array<T | undefined>>;
  mset(list: Array<{ key: string; value: unknown; ttl?: number }>): Promise<unknown>;
  disconnect(): Promise<unknown>;
}
interface CacheManagerModule {
  createCache(this: void, options: { stores?: unknown[]; ttl?: number }): CacheManagerCache;
  KeyvAdapter: new (store: unknown) => unknown;
}
interface KeyvModule {
  Keyv: new (options?: { store?: unknown; namespace?: string }) => unknown;
}
interface KeyvRedisModule {
  createKeyv(this: void, url: string, options?: { namespace?: string }): unknown;
}
interface IoredisYetModule {
  redisInsStore(this: void, client: Redis, options?: { ttl?: number }): unknown;
}

/** `cache.wrap(key, fn, ttl)`; `getMany` as `mget` then `mset` of what was missing. */
function wrapSubject(
  cache: CacheManagerCache,
  prefix: string,
  onClose: () => Promise<void>,
): Subject {
  return {
    get: (key, loader) => cache.wrap(prefix + key, () => loader(key), TTL_MS),
    async getMany(keys, loader) {
      const found = await cache.mget<BenchRecord>(keys.map((key) => prefix + key));
      const missing = keys.filter((_, i) => found[i] === undefined);
      if (missing.length === 0) return found as BenchRecord[];
      const loaded = await loader(missing);
      await cache.mset(
        missing.map((key, i) => ({ key: prefix + key, value: loaded[i], ttl: TTL_MS })),
      );
      let next = 0;
      return found.map((value) => value ?? loaded[next++]);
    },
    settle: async () => undefined,
    close: onClose,
  };
}

export const cacheManagerKeyvRedis: SubjectDefinition = {
  id: 'cache-manager-keyv',
  label: 'cache-manager `wrap` + @keyv/redis',
  tier: 'redis',
  packageName: 'cache-manager',
  async create(target, prefix) {
    const { createCache } = await importPeer<CacheManagerModule>('cache-manager');
    const { createKeyv } = await importPeer<KeyvRedisModule>('@keyv/redis');
    const cache = createCache({
      stores: [createKeyv(`redis://${target.host}:${target.port}`)],
      ttl: TTL_MS,
    });
    return wrapSubject(cache, prefix, async () => {
      await cache.disconnect();
    });
  },
};

export const cacheManagerIoredisYet: SubjectDefinition = {
  id: 'cache-manager-ioredis-yet',
  label: 'cache-manager `wrap` + cache-manager-ioredis-yet',
  tier: 'redis',
  packageName: 'cache-manager-ioredis-yet',
  async create(target, prefix) {
    const { createCache, KeyvAdapter } = await importPeer<CacheManagerModule>('cache-manager');
    const { Keyv } = await importPeer<KeyvModule>('keyv');
    const { redisInsStore } = await importPeer<IoredisYetModule>('cache-manager-ioredis-yet');
    const redis = quietErrors(redisClient(target));
    // A cache-manager 5 store, adapted to cache-manager 7 the way its README shows.
    const store = new Keyv({ store: new KeyvAdapter(redisInsStore(redis, { ttl: TTL_MS })) });
    const cache = createCache({ stores: [store], ttl: TTL_MS });
    return wrapSubject(cache, prefix, async () => dropClient(redis));
  },
};

export const cacheManagerMemory: SubjectDefinition = {
  id: 'cache-manager-memory',
  label: 'cache-manager `wrap`, Keyv in-memory store',
  tier: 'memory',
  packageName: 'cache-manager',
  async create(_target, prefix) {
    const { createCache } = await importPeer<CacheManagerModule>('cache-manager');
    const cache = createCache({ ttl: TTL_MS });
    return wrapSubject(cache, prefix, async () => {
      await cache.disconnect();
    });
  },
};
