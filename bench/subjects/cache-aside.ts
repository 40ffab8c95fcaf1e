import 'reflect-metadata';
import { CacheAsideManager, Cacheable, CacheInterceptor } from '../../lib';
import { dropClient, libRedisClient, quietErrors } from '../support/clients';
import type { BenchRecord, Loader } from '../support/record';
import { BENCH_TTL_SECONDS, type Subject, type SubjectDefinition } from './subject';

function managerFor(
  target: Parameters<SubjectDefinition['create']>[0],
  prefix: string,
  coalesceWrites = true,
) {
  const redis = quietErrors(libRedisClient(target));
  const manager = new CacheAsideManager({
    redis,
    keyPrefix: prefix,
    coalesceWrites,
    defaultTtl: BENCH_TTL_SECONDS,
  });
  return { redis, manager };
}

function managerSubject(id: string, label: string, coalesceWrites: boolean): SubjectDefinition {
  return {
    id,
    label,
    tier: 'redis',
    async create(target, prefix) {
      const { redis, manager } = managerFor(target, prefix, coalesceWrites);
      return {
        get: (key, loader) => manager.get(key, loader),
        getMany: (keys, loader) => manager.getMany(keys, loader),
        settle: () => manager.settle(),
        async close() {
          await manager.close();
          dropClient(redis);
        },
      };
    },
  };
}

/** `manager.get(key, loader)` with the manager's defaults. */
export const cacheAsideManager = managerSubject('cache-aside', 'cache-aside `manager.get`', true);

/**
 * The same with `coalesceWrites: false`: one socket write per command, as raw ioredis does, so
 * the row shows what the library itself costs over raw ioredis, apart from the write coalescing.
 */
export const cacheAsideUncoalesced = managerSubject(
  'cache-aside-uncoalesced',
  'cache-aside `manager.get`, `coalesceWrites: false`',
  false,
);

/**
 * A `get` through a method decorated with `@Cacheable({ key: '{0}' })` whose manager is
 * registered under a name of its own (the failure scenarios build a second one beside it).
 */
export function decoratedGet(manager: CacheAsideManager, prefix: string): Subject['get'] {
  const name = `bench:${prefix}`;
  CacheInterceptor.use(manager, name);
  class Repository {
    @Cacheable({ key: '{0}', ttl: BENCH_TTL_SECONDS, manager: name })
    async find(key: string, loader: Loader): Promise<BenchRecord> {
      return loader(key);
    }
  }
  const repository = new Repository();
  return (key, loader) => repository.find(key, loader);
}

/** A method decorated with `@Cacheable({ key: '{0}' })`, its manager registered by name. */
export const cacheAsideDecorated: SubjectDefinition = {
  id: 'cache-aside-decorated',
  label: 'cache-aside `@Cacheable` method',
  tier: 'redis',
  async create(target, prefix): Promise<Subject> {
    const { redis, manager } = managerFor(target, prefix);
    return {
      get: decoratedGet(manager, prefix),
      settle: () => manager.settle(),
      async close() {
        await manager.close();
        dropClient(redis);
      },
    };
  },
};
