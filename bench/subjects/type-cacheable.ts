import type Redis from 'ioredis';
import { dropClient, quietErrors, redisClient } from '../support/clients';
import type { BenchRecord, Loader } from '../support/record';
import { BENCH_TTL_SECONDS, importPeer, type Subject, type SubjectDefinition } from './subject';

// The few members of @type-cacheable/* the bench uses (see importPeer for why local).
interface TypeCacheableCore {
  Cacheable(
    this: void,
    options: {
      cacheKey: (args: unknown[]) => string;
      ttlSeconds: number;
      client: unknown;
    },
  ): MethodDecorator;
}
interface LruCacheModule {
  LRUCache: new (options: { max: number }) => object;
}

/** A class whose method carries type-cacheable's `@Cacheable`, the client given per decorator. */
async function decoratedSubject(
  client: unknown,
  prefix: string,
  onClose: () => Promise<void>,
): Promise<Subject> {
  const { Cacheable } = await importPeer<TypeCacheableCore>('@type-cacheable/core');

  class Repository {
    @Cacheable({
      cacheKey: (args) => prefix + String(args[0]),
      ttlSeconds: BENCH_TTL_SECONDS,
      client,
    })
    async find(key: string, loader: Loader): Promise<BenchRecord> {
      return loader(key);
    }
  }
  const repository = new Repository();
  return {
    get: (key, loader) => repository.find(key, loader),
    settle: async () => undefined,
    close: onClose,
  };
}

export const typeCacheableRedis: SubjectDefinition = {
  id: 'type-cacheable-redis',
  label: 'type-cacheable `@Cacheable` + ioredis adapter',
  tier: 'redis',
  packageName: '@type-cacheable/core',
  async create(target, prefix) {
    const { IoRedisAdapter } = await importPeer<{ IoRedisAdapter: new (client: Redis) => unknown }>(
      '@type-cacheable/ioredis-adapter',
    );
    const redis = quietErrors(redisClient(target));
    return decoratedSubject(new IoRedisAdapter(redis), prefix, async () => dropClient(redis));
  },
};

export const typeCacheableMemory: SubjectDefinition = {
  id: 'type-cacheable-memory',
  label: 'type-cacheable `@Cacheable` + lru-cache adapter',
  tier: 'memory',
  packageName: '@type-cacheable/core',
  async create(_target, prefix) {
    const { LRUCacheAdapter } = await importPeer<{
      LRUCacheAdapter: new (cache: object) => unknown;
    }>('@type-cacheable/lru-cache-adapter');
    const { LRUCache } = await importPeer<LruCacheModule>('lru-cache');
    return decoratedSubject(
      new LRUCacheAdapter(new LRUCache({ max: 100_000 })),
      prefix,
      async () => undefined,
    );
  },
};
