import 'reflect-metadata';
import { createClient } from 'redis';
import { CacheAsideManager } from '../../lib';
import { decoratedGet } from './cache-aside';
import type { BenchRecord } from '../support/record';
import {
  BENCH_TTL_SECONDS,
  type RedisTarget,
  type Subject,
  type SubjectDefinition,
} from './subject';

const TTL_SECONDS = BENCH_TTL_SECONDS;
const EXPIRATION = { expiration: { type: 'EX', value: TTL_SECONDS } } as const;

type NodeRedisClient = ReturnType<typeof createClient>;

/** A node-redis 5 client with its defaults, connected as an application connects it. */
async function connectedClient(target: RedisTarget): Promise<NodeRedisClient> {
  const client = createClient({ socket: { host: target.host, port: target.port } });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/**
 * The other baseline, the one the issue measured as the faster raw client: node-redis GET (text)
 * and JSON.parse; on a miss, the loader then SET EX, awaited.
 */
export const rawNodeRedis: SubjectDefinition = {
  id: 'raw-node-redis',
  label: 'raw node-redis (GET + JSON.parse)',
  tier: 'redis',
  packageName: 'redis',
  async create(target, prefix) {
    const client = await connectedClient(target);
    return {
      async get(key, loader) {
        const raw = await client.get(prefix + key);
        if (raw !== null) return JSON.parse(raw) as BenchRecord;
        const value = await loader(key);
        await client.set(prefix + key, JSON.stringify(value), EXPIRATION);
        return value;
      },
      async getMany(keys, loader) {
        const raws = await client.mGet(keys.map((key) => prefix + key));
        const missing: string[] = [];
        const values = raws.map((raw, i) => {
          if (raw === null) missing.push(keys[i]);
          return raw === null ? undefined : (JSON.parse(raw) as BenchRecord);
        });
        if (missing.length === 0) return values as BenchRecord[];
        const loaded = await loader(missing);
        const multi = client.multi();
        missing.forEach((key, i) => multi.set(prefix + key, JSON.stringify(loaded[i]), EXPIRATION));
        await multi.execAsPipeline();
        let next = 0;
        return values.map((value) => value ?? loaded[next++]);
      },
      settle: async () => undefined,
      close: async () => {
        client.destroy();
      },
    };
  },
};

/** A manager on a connected node-redis client; `close` closes both. */
async function nodeRedisManager(
  target: RedisTarget,
  prefix: string,
): Promise<{ manager: CacheAsideManager; close: () => Promise<void> }> {
  const client = await connectedClient(target);
  const manager = new CacheAsideManager({
    redis: client,
    keyPrefix: prefix,
    defaultTtl: TTL_SECONDS,
  });
  return {
    manager,
    async close() {
      await manager.close();
      client.destroy();
    },
  };
}

/** `manager.get(key, loader)` on a node-redis client, the manager's defaults. */
export const cacheAsideNodeRedis: SubjectDefinition = {
  id: 'cache-aside-node-redis',
  label: 'cache-aside `manager.get` on node-redis',
  tier: 'redis',
  async create(target, prefix): Promise<Subject> {
    const { manager, close } = await nodeRedisManager(target, prefix);
    return {
      get: (key, loader) => manager.get(key, loader),
      getMany: (keys, loader) => manager.getMany(keys, loader),
      settle: () => manager.settle(),
      close,
    };
  },
};

/** A method decorated with `@Cacheable({ key: '{0}' })` whose manager is on node-redis. */
export const cacheAsideDecoratedNodeRedis: SubjectDefinition = {
  id: 'cache-aside-decorated-node-redis',
  label: 'cache-aside `@Cacheable` method on node-redis',
  tier: 'redis',
  async create(target, prefix): Promise<Subject> {
    const { manager, close } = await nodeRedisManager(target, prefix);
    return { get: decoratedGet(manager, prefix), settle: () => manager.settle(), close };
  },
};
