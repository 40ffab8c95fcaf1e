import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import type { CacheError } from '../../../lib/errors/cache-error';
import { freePort, startRedisServer, type RedisServer } from '../../support/redis-server';
import {
  captureErrors,
  DEADLINE_BOUND_MS,
  FAULT_OPTIONS,
  isHit,
  Measurements,
  newFaultClient,
  NO_WAIT_BOUND_MS,
  pollUntil,
  timed,
} from '../../support/fault-kit';
import { uniquePrefix } from '../../support/test-redis';

const measured = new Measurements('Redis not running when the application starts');

describe('CacheAsideManager when Redis is not running at start', () => {
  let port: number;
  let redis: Redis;
  let cache: CacheAsideManager;
  let errors: CacheError[];
  let server: RedisServer | undefined;

  beforeEach(async () => {
    // Nothing listens on this port until a test starts a server there.
    port = await freePort();
    redis = newFaultClient(`redis://127.0.0.1:${port}`);
    cache = new CacheAsideManager({
      redis,
      keyPrefix: uniquePrefix('fault-down'),
      ...FAULT_OPTIONS,
    });
    errors = captureErrors(cache);
  });

  afterEach(async () => {
    await cache.close();
    redis.disconnect();
    await server?.stop();
    server = undefined;
  });

  afterAll(() => measured.print());

  it('serves every get from the loader, within the deadline, without throwing', async () => {
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const { value, ms } = await timed(() => cache.get(`k${i}`, (key) => `loaded ${key}`));
      expect(value).toBe(`loaded k${i}`);
      expect(ms).toBeLessThan(DEADLINE_BOUND_MS);
      latencies.push(ms);
    }
    measured.add('get, Redis never reachable (loader 0 ms)', latencies);
    // After the first attempt the client is known not to be ready: no get waits for a deadline.
    expect(latencies.slice(1).every((ms) => ms < NO_WAIT_BOUND_MS)).toBe(true);
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 10, loads: 10 });
    expect(cache.stats().errors).toBeGreaterThanOrEqual(10);
    expect(errors.length).toBeGreaterThanOrEqual(10);
    for (const error of errors) {
      expect(['REDIS_UNAVAILABLE', 'REDIS_TIMEOUT']).toContain(error.code);
      expect(error.operation).toBe('get');
    }
    expect(errors.some((e) => e.code === 'REDIS_UNAVAILABLE')).toBe(true);
  });

  it('passes loader errors through unchanged while Redis is away', async () => {
    const failure = new Error('database down');
    await expect(cache.get('k', () => Promise.reject(failure))).rejects.toBe(failure);
  });

  it('keeps set and invalidate from throwing, and queues them for replay', async () => {
    await expect(cache.set('k', 1)).resolves.toBeUndefined();
    await expect(cache.invalidate('other')).resolves.toBe(0);
    expect(errors.map((e) => e.code)).toContain('INVALIDATION_DEFERRED');
    expect(cache.stats().pendingInvalidations).toBe(2);
  });

  it('starts caching once Redis comes up, and replays what was queued', async () => {
    await cache.get('k', () => 'while down');
    await cache.invalidate('queued');
    expect(cache.stats().pendingInvalidations).toBe(1);

    const started = performance.now();
    server = await startRedisServer({ port });
    const up = performance.now();
    // The client reconnects on its own (capped backoff): poll with fresh keys until one is stored
    // and then read back as a hit.
    let attempt = 0;
    await pollUntil('first hit after Redis came up', async () => {
      attempt++;
      const key = `probe${attempt}`;
      await cache.get(key, () => 'probe');
      await cache.settle();
      return isHit(cache, key);
    });
    const firstHit = performance.now();
    measured.add('first hit after redis-server started (from spawn)', firstHit - started);
    measured.add('first hit after redis-server answered PING', firstHit - up);
    expect(firstHit - up).toBeLessThan(5000);

    await pollUntil(
      'queued invalidation replayed',
      () => cache.stats().pendingInvalidations === 0,
      { timeoutMs: 3000 },
    );
    // The value served while Redis was down was never stored; now it is.
    expect(await cache.get('k', () => 'after restart')).toBe('after restart');
    await cache.settle();
    expect(await isHit(cache, 'k')).toBe(true);
  });
});
