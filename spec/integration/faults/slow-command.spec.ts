import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import type { CacheError } from '../../../lib/errors/cache-error';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import {
  captureErrors,
  codesOf,
  DEADLINE_BOUND_MS,
  FAULT_OPTIONS,
  isHit,
  Measurements,
  newFaultClient,
  pollUntil,
  timed,
} from '../../support/fault-kit';
import { newTestClient, ready, uniquePrefix } from '../../support/test-redis';

const measured = new Measurements('a slow command blocks redis-server (DEBUG SLEEP)');
afterAll(() => measured.print());

describe('CacheAsideManager when another client runs a slow command', () => {
  let server: RedisServer;
  let redis: Redis;
  let blocker: Redis;
  let cache: CacheAsideManager;
  let errors: CacheError[];

  beforeAll(async () => {
    server = await startRedisServer();
    redis = newFaultClient(server.url);
    // The blocker is not the client under test: a plain ioredis connection, as the default user
    // (DEBUG is refused to the ACL user of the integration:acl projects), runs DEBUG SLEEP.
    blocker = newTestClient(server.adminUrl);
    await Promise.all([ready(redis), ready(blocker)]);
  });

  beforeEach(() => {
    cache = new CacheAsideManager({
      redis,
      keyPrefix: uniquePrefix('fault-slow'),
      ...FAULT_OPTIONS,
    });
    errors = captureErrors(cache);
  });

  afterEach(() => cache.close());

  afterAll(async () => {
    redis.disconnect();
    blocker.disconnect();
    await server.stop();
  });

  /** Starts DEBUG SLEEP on the second connection and resolves once the server is inside it. */
  async function blockServerFor(seconds: number): Promise<{ sleeping: Promise<unknown> }> {
    // Connected before the sleep begins (a handshake would wait for it to end).
    const observer = newTestClient(server.adminUrl);
    try {
      await ready(observer);
      const sleeping = blocker.call('debug', 'sleep', String(seconds));
      // The server is single-threaded: once a PING from a third connection stops answering
      // quickly, the sleep has begun. Bounded; no fixed sleep.
      await pollUntil(
        'DEBUG SLEEP started',
        () =>
          Promise.race([
            observer.ping().then(() => false),
            new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 50)),
          ]),
        { timeoutMs: 2000, intervalMs: 1 },
      );
      // Wrapped: an async function returning the promise itself would wait for it.
      return { sleeping };
    } finally {
      observer.disconnect();
    }
  }

  it('bounds a get by operationTimeoutMs while the server is busy, then hits again', async () => {
    await cache.get('k', () => 'cached');
    await cache.settle();

    const { sleeping } = await blockServerFor(0.6);
    const { value, ms, wallMs } = await timed(() => cache.get('k', () => 'from the loader'));
    measured.add('get while DEBUG SLEEP 0.6 runs (loader 0 ms)', ms);
    expect(value).toBe('from the loader');
    expect(wallMs).toBeGreaterThanOrEqual(FAULT_OPTIONS.operationTimeoutMs - 5);
    expect(ms).toBeLessThan(DEADLINE_BOUND_MS);
    expect(codesOf(errors)).toEqual(['REDIS_TIMEOUT']);
    expect(errors[0]).toMatchObject({ operation: 'get', key: 'k' });

    await sleeping;
    // One timeout does not open the circuit: the very next read is a hit.
    expect(await isHit(cache, 'k')).toBe(true);
  });
});
