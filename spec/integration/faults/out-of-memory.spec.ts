import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import type { CacheError } from '../../../lib/errors/cache-error';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import {
  captureErrors,
  FAULT_OPTIONS,
  isHit,
  Measurements,
  newFaultClient,
  NO_WAIT_BOUND_MS,
  timed,
} from '../../support/fault-kit';
import { ready, uniquePrefix } from '../../support/test-redis';

const measured = new Measurements('redis-server out of memory (maxmemory + noeviction)');
afterAll(() => measured.print());

describe('CacheAsideManager when Redis is out of memory', () => {
  let server: RedisServer;
  let redis: Redis;
  let cache: CacheAsideManager;
  let errors: CacheError[];
  let prefix: string;

  beforeAll(async () => {
    server = await startRedisServer({ args: ['--maxmemory-policy', 'noeviction'] });
    redis = newFaultClient(server.url);
    await ready(redis);
  });

  beforeEach(() => {
    prefix = uniquePrefix('fault-oom');
    cache = new CacheAsideManager({
      redis,
      keyPrefix: prefix,
      ...FAULT_OPTIONS,
      invalidationRetryMs: 100,
    });
    errors = captureErrors(cache);
  });

  afterEach(async () => {
    server.cli('config', 'set', 'maxmemory', '0');
    await cache.close();
  });

  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('serves misses from the loader when writes are refused, keeps hitting, and keeps the circuit closed', async () => {
    for (let i = 0; i < 5; i++) await cache.get(`seed${i}`, () => `seeded ${i}`);
    await cache.settle();

    // Any limit below what the server already uses: every write is now refused with OOM.
    server.cli('config', 'set', 'maxmemory', '1');
    // Under the test keys' root: an ACL user confined to it would be refused (NOPERM) first.
    await expect(redis.set(`${prefix}probe`, 'x')).rejects.toThrow(/OOM/);

    const misses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const { value, ms } = await timed(() => cache.get(`new${i}`, (key) => `loaded ${key}`));
      expect(value).toBe(`loaded new${i}`);
      misses.push(ms);
    }
    await cache.settle();
    measured.add('get of a new key, writes refused (loader 0 ms)', misses);
    expect(Math.max(...misses)).toBeLessThan(NO_WAIT_BOUND_MS);
    expect(errors.length).toBeGreaterThanOrEqual(10);
    for (const error of errors) {
      expect(error.code).toBe('REDIS_ERROR');
      expect((error.cause as Error).message).toMatch(/^OOM/);
    }
    // Nothing was stored, so these are misses again.
    expect(await isHit(cache, 'new0')).toBe(false);

    // Far more than three failed writes, yet reads keep going to Redis: an error reply proves the
    // server is there and must not open the circuit.
    const hits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { value, ms } = await timed(() => cache.get(`seed${i}`, () => 'not expected'));
      expect(value).toBe(`seeded ${i}`);
      hits.push(ms);
    }
    measured.add('get of an existing key while OOM (hit)', hits);
    expect(cache.stats().hits).toBeGreaterThanOrEqual(5);

    // A set never throws either; the key it meant to replace is removed at once (UNLINK is
    // still accepted under OOM), not queued.
    await expect(cache.set('seed0', 'newer')).resolves.toBeUndefined();
    expect(errors.map((e) => e.code)).not.toContain('INVALIDATION_DEFERRED');
    expect(cache.stats().pendingInvalidations).toBe(0);
    expect(await cache.get('seed0', () => 'newer')).toBe('newer');
    await expect(cache.invalidate('seed1')).resolves.toBe(1);

    // Memory back: values are stored and hit again.
    server.cli('config', 'set', 'maxmemory', '0');
    await cache.get('after', () => 'stored');
    await cache.settle();
    expect(await isHit(cache, 'after')).toBe(true);
  });
});
