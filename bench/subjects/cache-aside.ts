import 'reflect-metadata';
import { CacheAsideManager } from '../../lib';
import { dropClient, libRedisClient, quietErrors } from '../support/clients';
import type { BenchRecord, Loader } from '../support/record';
import { BENCH_TTL_SECONDS, NotAvailable, type Subject, type SubjectDefinition } from './subject';

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
 * What the bench needs from the decorators' exports. They are looked up at run time, so that this
 * file typechecks and runs before the decorators land, and the row fills itself once they do.
 */
interface DecoratorExports {
  Cacheable(this: void, options: { key: string; ttl: number; manager: string }): MethodDecorator;
  CacheInterceptor: { use(manager: CacheAsideManager, name?: string): unknown };
}

async function decoratorExports(): Promise<DecoratorExports> {
  const lib = (await import('../../lib')) as unknown as Partial<
    Record<keyof DecoratorExports, unknown>
  >;
  const interceptor = lib.CacheInterceptor as { use?: unknown } | undefined;
  if (typeof lib.Cacheable !== 'function' || typeof interceptor?.use !== 'function') {
    throw new NotAvailable(
      'not available yet (lib does not export `Cacheable` and `CacheInterceptor`)',
    );
  }
  return lib as unknown as DecoratorExports;
}

/** A method decorated with `@Cacheable({ key: '{0}' })`, its manager registered by name. */
export const cacheAsideDecorated: SubjectDefinition = {
  id: 'cache-aside-decorated',
  label: 'cache-aside `@Cacheable` method',
  tier: 'redis',
  async create(target, prefix): Promise<Subject> {
    const { Cacheable, CacheInterceptor } = await decoratorExports();
    const { redis, manager } = managerFor(target, prefix);
    // Registered under its own name: the failure scenarios build a second one beside it.
    const name = `bench:${prefix}`;
    CacheInterceptor.use(manager, name);

    class Repository {
      @Cacheable({ key: '{0}', ttl: BENCH_TTL_SECONDS, manager: name })
      async find(key: string, loader: Loader): Promise<BenchRecord> {
        return loader(key);
      }
    }
    const repository = new Repository();
    return {
      get: (key, loader) => repository.find(key, loader),
      settle: () => manager.settle(),
      async close() {
        await manager.close();
        dropClient(redis);
      },
    };
  },
};
