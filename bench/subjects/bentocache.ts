import { dropClient, quietErrors, redisClient } from '../support/clients';
import { BENCH_TTL_SECONDS, importPeer, type Subject, type SubjectDefinition } from './subject';

// The few members of bentocache 1.x the bench uses (see importPeer for why local).
interface BentoStoreBuilder {
  useL1Layer(driver: unknown): BentoStoreBuilder;
  useL2Layer(driver: unknown): BentoStoreBuilder;
}
interface BentoCacheInstance {
  getOrSet<T>(options: { key: string; factory: () => T | Promise<T>; ttl: string }): Promise<T>;
  disconnectAll(): Promise<void>;
}
interface BentoModule {
  BentoCache: new (options: {
    default: string;
    prefix?: string;
    stores: Record<string, BentoStoreBuilder>;
  }) => BentoCacheInstance;
  bentostore(this: void): BentoStoreBuilder;
}

function getOrSetSubject(bento: BentoCacheInstance, onClose: () => Promise<void>): Subject {
  return {
    get: (key, loader) =>
      bento.getOrSet({ key, factory: () => loader(key), ttl: `${BENCH_TTL_SECONDS}s` }),
    settle: async () => undefined,
    close: onClose,
  };
}

export const bentocacheRedis: SubjectDefinition = {
  id: 'bentocache-redis',
  label: 'bentocache `getOrSet`, Redis only',
  tier: 'redis',
  packageName: 'bentocache',
  async create(target, prefix) {
    const { BentoCache, bentostore } = await importPeer<BentoModule>('bentocache');
    const { redisDriver } = await importPeer<{
      redisDriver(this: void, options: { connection: unknown }): unknown;
    }>('bentocache/drivers/redis');
    const redis = quietErrors(redisClient(target));
    const bento = new BentoCache({
      default: 'redis',
      prefix: prefix.replace(/:$/, ''),
      stores: { redis: bentostore().useL2Layer(redisDriver({ connection: redis })) },
    });
    return getOrSetSubject(bento, async () => dropClient(redis));
  },
};

export const bentocacheMemory: SubjectDefinition = {
  id: 'bentocache-memory',
  label: 'bentocache `getOrSet`, L1 memory only',
  tier: 'memory',
  packageName: 'bentocache',
  async create(_target, prefix) {
    const { BentoCache, bentostore } = await importPeer<BentoModule>('bentocache');
    const { memoryDriver } = await importPeer<{
      memoryDriver(this: void, options: { maxSize: string }): unknown;
    }>('bentocache/drivers/memory');
    const bento = new BentoCache({
      default: 'memory',
      prefix: prefix.replace(/:$/, ''),
      stores: { memory: bentostore().useL1Layer(memoryDriver({ maxSize: '100mb' })) },
    });
    return getOrSetSubject(bento, () => bento.disconnectAll());
  },
};
