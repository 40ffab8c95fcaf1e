import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import type { CacheError } from '../../../lib/errors/cache-error';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import {
  captureErrors,
  codesOf,
  FAULT_OPTIONS,
  isHit,
  Measurements,
  newFaultClient,
  NO_WAIT_BOUND_MS,
  pollUntil,
  timed,
} from '../../support/fault-kit';
import { ready, uniquePrefix } from '../../support/test-redis';

const measured = new Measurements('redis-server killed (SIGKILL) and restarted on the same port');
afterAll(() => measured.print());

describe('CacheAsideManager when Redis is killed and restarted', () => {
  let server: RedisServer;
  let redis: Redis;
  let cache: CacheAsideManager;
  let errors: CacheError[];

  beforeAll(async () => {
    server = await startRedisServer();
  });

  beforeEach(async () => {
    redis = newFaultClient(server.url);
    await ready(redis);
    cache = new CacheAsideManager({
      redis,
      keyPrefix: uniquePrefix('fault-kill'),
      ...FAULT_OPTIONS,
    });
    errors = captureErrors(cache);
  });

  afterEach(async () => {
    await cache.close();
    redis.disconnect();
  });

  afterAll(() => server.stop());

  it('fails open while down and caches again within a bounded time after the restart', async () => {
    const healthy: number[] = [];
    await cache.get('seed', () => 'seeded');
    await cache.settle();
    for (let i = 0; i < 20; i++) {
      const { value, ms } = await timed(() => cache.get('seed', () => 'not expected'));
      expect(value).toBe('seeded');
      healthy.push(ms);
    }
    measured.add('get, healthy hit', healthy);

    await server.kill();
    await pollUntil('client notices the closed connection', () => redis.status !== 'ready', {
      timeoutMs: 2000,
    });

    const down: number[] = [];
    for (let i = 0; i < 10; i++) {
      const { value, ms } = await timed(() => cache.get('seed', () => 'from the loader'));
      expect(value).toBe('from the loader');
      down.push(ms);
    }
    measured.add('get, server killed (loader 0 ms)', down);
    // A client known to be down is not waited on: no deadline, no retries.
    expect(Math.max(...down)).toBeLessThan(NO_WAIT_BOUND_MS);
    expect(new Set(codesOf(errors))).toEqual(new Set(['REDIS_UNAVAILABLE']));
    expect(errors.every((e) => e.operation === 'get' && e.key === 'seed')).toBe(true);

    // While down, the invalidation is reported and queued.
    expect(await cache.invalidate('seed')).toBe(0);
    expect(codesOf(errors)).toContain('INVALIDATION_DEFERRED');
    expect(cache.stats().pendingInvalidations).toBe(1);

    await server.restart();
    const restarted = performance.now();
    let attempt = 0;
    await pollUntil('first hit after restart', async () => {
      attempt++;
      const key = `probe${attempt}`;
      await cache.get(key, () => 'probe');
      await cache.settle();
      return isHit(cache, key);
    });
    const firstHit = performance.now() - restarted;
    measured.add('restart (server answers PING) → first hit again', firstHit);
    expect(firstHit).toBeLessThan(5000);

    // The queued invalidation is replayed on reconnect.
    await pollUntil('queue replayed', () => cache.stats().pendingInvalidations === 0, {
      timeoutMs: 2000,
    });
    // The restarted server is empty (no persistence): values are loaded and stored again.
    expect(await cache.get('seed', () => 'reloaded')).toBe('reloaded');
    await cache.settle();
    expect(await isHit(cache, 'seed')).toBe(true);
  });
});

describe('CacheAsideManager replaying invalidations when Redis is back with its data', () => {
  let server: RedisServer;
  let proxy: FaultProxy;
  let direct: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    direct = newFaultClient(server.url);
    await ready(direct);
  });

  afterAll(async () => {
    direct.disconnect();
    await server.stop();
  });

  beforeEach(async () => {
    proxy = await startFaultProxy(server.port);
  });

  afterEach(async () => {
    await proxy.close();
  });

  it('replays an invalidation that never reached Redis, so the stale entry goes away', async () => {
    const prefix = uniquePrefix('fault-replay');
    const redis = newFaultClient(proxy.url);
    await ready(redis);
    const cache = new CacheAsideManager({
      redis,
      keyPrefix: prefix,
      ...FAULT_OPTIONS,
      invalidationRetryMs: 60_000,
    });
    const errors = captureErrors(cache);
    try {
      await cache.get('row', () => 'old row');
      await cache.settle();
      expect(await isHit(cache, 'row')).toBe(true);

      // Unreachable, data kept: the server still holds the old entry.
      proxy.cut();
      await pollUntil('client notices the cut', () => redis.status !== 'ready', {
        timeoutMs: 2000,
      });
      expect(await cache.invalidate('row')).toBe(0);
      expect(codesOf(errors)).toEqual(['REDIS_UNAVAILABLE', 'INVALIDATION_DEFERRED']);
      expect(cache.stats().pendingInvalidations).toBe(1);
      expect(await direct.exists(`${prefix}row`)).toBe(1);

      // While pending, a read of that key does not serve what Redis holds.
      expect(await cache.get('row', () => 'new row')).toBe('new row');

      proxy.restore();
      const restored = performance.now();
      // The retry timer is a minute away: only the reconnect ('ready') can replay it.
      const replayMs = await pollUntil(
        'replay after reconnect',
        () => cache.stats().pendingInvalidations === 0,
        {
          timeoutMs: 3000,
        },
      );
      measured.add('connection restored → queued invalidation replayed', replayMs);
      expect(performance.now() - restored).toBeLessThan(3000);
      expect(await direct.exists(`${prefix}row`)).toBe(0);
      expect(await cache.get('row', () => 'new row')).toBe('new row');
      await cache.settle();
      expect(await isHit(cache, 'row')).toBe(true);
    } finally {
      await cache.close();
      redis.disconnect();
    }
  });

  it('also replays a pattern invalidation and a tag invalidation', async () => {
    const prefix = uniquePrefix('fault-replay-p');
    const redis = newFaultClient(proxy.url);
    await ready(redis);
    const cache = new CacheAsideManager({
      redis,
      keyPrefix: prefix,
      ...FAULT_OPTIONS,
      invalidationRetryMs: 60_000,
    });
    captureErrors(cache);
    try {
      await cache.get('user:1', () => 'old 1');
      await cache.get('tagged', () => 'old t', { tags: ['t'] });
      await cache.settle();

      proxy.cut();
      await pollUntil('client notices the cut', () => redis.status !== 'ready', {
        timeoutMs: 2000,
      });
      await cache.invalidatePattern('user:*');
      await cache.invalidateTags(['t']);
      expect(cache.stats().pendingInvalidations).toBe(2);
      expect(await cache.get('user:1', () => 'new 1')).toBe('new 1');
      expect(await cache.get('tagged', () => 'new t', { tags: ['t'] })).toBe('new t');

      proxy.restore();
      await pollUntil('replay after reconnect', () => cache.stats().pendingInvalidations === 0, {
        timeoutMs: 3000,
      });
      expect(await direct.exists(`${prefix}user:1`)).toBe(0);
      expect(await cache.get('user:1', () => 'new 1')).toBe('new 1');
      expect(await cache.get('tagged', () => 'new t', { tags: ['t'] })).toBe('new t');
    } finally {
      await cache.close();
      redis.disconnect();
    }
  });
});
