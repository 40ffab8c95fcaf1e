import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import type { CacheError } from '../../../lib/errors/cache-error';
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
 * A deadline measures Redis, not the process: a reply that reached the socket while the process
 * was stalled past the deadline is read and used, not thrown away as a timeout. (Node runs timers
 * before it reads sockets, so a deadline checked first would expire on an answer already there.)
 */
describe('CacheAsideManager when its own process stalls past the deadline', () => {
  const STALL_MS = 3 * FAULT_OPTIONS.operationTimeoutMs;
  let server: RedisServer;
  let redis: Redis;
  let cache: CacheAsideManager;
  let errors: CacheError[];

  beforeAll(async () => {
    server = await startRedisServer();
    redis = newFaultClient(server.url);
    await ready(redis);
  });

  beforeEach(() => {
    cache = new CacheAsideManager({
      redis,
      keyPrefix: uniquePrefix('fault-stalled'),
      ...FAULT_OPTIONS,
    });
    errors = captureErrors(cache);
  });

  afterEach(() => cache.close());

  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('answers a hit whose reply arrived during the stall, with no timeout reported', async () => {
    await cache.get('k', () => 'stored');
    await cache.settle();
    const answers: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      const pending = cache.get('k', () => 'loaded instead');
      // After this turn's writes are flushed, before the reply is read.
      setImmediate(() => stallProcess(STALL_MS));
      answers.push(await pending);
    }
    expect(answers).toEqual(['stored', 'stored', 'stored', 'stored', 'stored']);
    expect(codesOf(errors)).toEqual([]);
    expect(cache.stats().hits).toBe(5);
  });

  it('stores a loaded value whose write was answered during the stall', async () => {
    for (let i = 0; i < 3; i++) {
      await cache.get(`miss${i}`, () => 'loaded');
      const settled = cache.settle();
      setImmediate(() => stallProcess(STALL_MS));
      await settled;
    }
    expect(codesOf(errors)).toEqual([]);
    for (let i = 0; i < 3; i++) {
      expect(await cache.get(`miss${i}`, () => 'loaded again')).toBe('loaded');
    }
  });
});
