import type Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import {
  captureErrors,
  codesOf,
  FAULT_OPTIONS,
  newFaultClient,
  stallProcess,
} from '../../support/fault-kit';
import { ready, uniquePrefix } from '../../support/test-redis';

/**
 * The write fence measures Redis, not our own backlog (issue #12 finding 5, seen in CI: 16,082
 * of 20,000 misses of one burst reported REDIS_TIMEOUT on an idle Redis). Every fenced reply
 * tells the fence where Redis's clock is; a reply the process read late, because it was busy,
 * made it think Redis's clock was that far behind once the sample it had was 5 s old, and every
 * later write was refused as late by that much.
 */
describe('the write fence after the process read a reply late', () => {
  let server: RedisServer;
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = newFaultClient(server.url);
    await ready(redis);
  });

  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('lets the next writes of a healthy Redis in', async () => {
    const keyPrefix = uniquePrefix('late-reply-fence');
    const cache = new CacheAsideManager({ redis, keyPrefix, ...FAULT_OPTIONS });
    const errors = captureErrors(cache);
    await cache.set('first', 'sampled'); // the clock's first, exact sample
    await sleep(5_200); // older than the 5 s after which a new sample used to replace it
    const late = cache.set('late', 'read late');
    // After this turn's write is flushed, before its reply is read: Redis answers at once, the
    // process reads it 7 deadlines later.
    setImmediate(() => stallProcess(7 * FAULT_OPTIONS.operationTimeoutMs));
    await late;
    for (let i = 0; i < 5; i++) await cache.set(`next${i}`, i);
    expect(codesOf(errors)).toEqual([]);
    for (let i = 0; i < 5; i++) expect(await cache.get(`next${i}`, () => 'loaded')).toBe(i);
    expect(await cache.get('late', () => 'loaded')).toBe('read late');
    await cache.close();
  });
});
