import { dropClient, quietErrors, redisClient } from '../support/clients';
import type { BenchRecord } from '../support/record';
import { BENCH_TTL_SECONDS, type SubjectDefinition } from './subject';

const TTL_SECONDS = BENCH_TTL_SECONDS;

/** The baseline: GET as a Buffer and JSON.parse; on a miss, the loader then SET EX, awaited. */
export const rawIoredis: SubjectDefinition = {
  id: 'raw',
  label: 'raw ioredis (getBuffer + JSON.parse)',
  tier: 'redis',
  packageName: 'ioredis',
  async create(target, prefix) {
    const redis = quietErrors(redisClient(target));
    return {
      async get(key, loader) {
        const raw = await redis.getBuffer(prefix + key);
        if (raw !== null) return JSON.parse(raw.toString('utf8')) as BenchRecord;
        const value = await loader(key);
        await redis.set(prefix + key, JSON.stringify(value), 'EX', TTL_SECONDS);
        return value;
      },
      async getMany(keys, loader) {
        const raws = await redis.mgetBuffer(...keys.map((key) => prefix + key));
        const missing: string[] = [];
        const values = raws.map((raw, i) => {
          if (raw === null) missing.push(keys[i]);
          return raw === null ? undefined : (JSON.parse(raw.toString('utf8')) as BenchRecord);
        });
        if (missing.length === 0) return values as BenchRecord[];
        const loaded = await loader(missing);
        const pipeline = redis.pipeline();
        missing.forEach((key, i) =>
          pipeline.set(prefix + key, JSON.stringify(loaded[i]), 'EX', TTL_SECONDS),
        );
        await pipeline.exec();
        let next = 0;
        return values.map((value) => value ?? loaded[next++]);
      },
      settle: async () => undefined,
      close: async () => dropClient(redis),
    };
  },
};
