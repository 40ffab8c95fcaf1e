import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import {
  captureErrors,
  codesOf,
  FAULT_OPTIONS,
  Measurements,
  newFaultClient,
  timed,
} from '../../support/fault-kit';
import { ready, uniquePrefix } from '../../support/test-redis';

const measured = new Measurements('close() with invalidations queued (issue #12, finding 8)');
afterAll(() => measured.print());

/**
 * `close()` with invalidations still queued because Redis was unreachable: it tries them, for
 * at most `closeTimeoutMs`, and reports what it could not deliver (event `'undelivered'` with the
 * count, and an `INVALIDATION_UNDELIVERED` error) instead of dropping them silently.
 */
describe('close() with queued invalidations', () => {
  let server: RedisServer;
  let direct: Redis;
  let proxy: FaultProxy;
  let client: Redis;
  let prefix: string;

  beforeAll(async () => {
    server = await startRedisServer();
    direct = newFaultClient(server.url);
    await ready(direct);
  });

  beforeEach(async () => {
    proxy = await startFaultProxy(server.port);
    client = newFaultClient(proxy.url);
    await ready(client);
    prefix = uniquePrefix('close-drain');
  });

  afterEach(async () => {
    client.disconnect();
    await proxy.close();
  });

  afterAll(async () => {
    direct.disconnect();
    await server.stop();
  });

  /** A manager whose queue replays only when Redis comes back (the retry timer is far away). */
  function newCache(closeTimeoutMs: number): CacheAsideManager {
    return new CacheAsideManager({
      redis: client,
      keyPrefix: prefix,
      ...FAULT_OPTIONS,
      invalidationRetryMs: 60_000,
      closeTimeoutMs,
    });
  }

  it('delivers them when Redis comes back before the timeout', async () => {
    const cache = newCache(5000);
    await cache.set('row', 'old row');
    proxy.cut();
    expect(await cache.invalidate('row')).toBe(0);
    expect(cache.stats().pendingInvalidations).toBe(1);
    let undelivered: number | undefined;
    cache.on('undelivered', ({ count }) => (undelivered = count));
    const back = setTimeout(() => proxy.restore(), 150);
    try {
      const { ms } = await timed(() => cache.close());
      measured.add('close(), Redis back after 150 ms', ms);
    } finally {
      clearTimeout(back);
    }
    expect(await direct.exists(`${prefix}row`)).toBe(0);
    expect(undelivered).toBeUndefined();
  });

  it('gives up after closeTimeoutMs and reports how many it could not deliver', async () => {
    const cache = newCache(300);
    const errors = captureErrors(cache);
    await cache.set('a', 'old a');
    proxy.cut();
    await cache.invalidate('a');
    await cache.invalidate(['b', 'c']);
    await cache.invalidatePattern('d:*');
    let undelivered: number | undefined;
    cache.on('undelivered', ({ count }) => (undelivered = count));
    const { ms, wallMs } = await timed(() => cache.close());
    measured.add('close(), Redis unreachable throughout, closeTimeoutMs 300', ms);
    expect(wallMs).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(300 + 400);
    expect(undelivered).toBe(4);
    expect(codesOf(errors)).toContain('INVALIDATION_UNDELIVERED');
    const report = errors.find((e) => e.code === 'INVALIDATION_UNDELIVERED');
    expect(report?.message).toMatch(/4 queued invalidations/);
    // The manager tries nothing after close() resolved (spec/unit/manager/invalidator.spec.ts).
    expect(cache.stats().pendingInvalidations).toBe(4);
  });

  it('resolves at once with nothing queued', async () => {
    const cache = newCache(5000);
    const { ms } = await timed(() => cache.close());
    expect(ms).toBeLessThan(100);
  });
});
