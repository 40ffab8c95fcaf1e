import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import { captureErrors, codesOf, FAULT_OPTIONS, newFaultClient } from '../../support/fault-kit';
import { ready, uniquePrefix } from '../../support/test-redis';

/**
 * Invalidations under OOM (issue #12, finding 3): with maxmemory + noeviction full, Redis refuses
 * every write but still accepts UNLINK. A tag invalidation must take effect then too, seen from
 * another manager (another process, as far as Redis can tell) reading the tagged entries.
 */
describe('invalidateTags when Redis is out of memory', () => {
  let server: RedisServer;
  let writerClient: Redis;
  let readerClient: Redis;
  let writer: CacheAsideManager;
  let reader: CacheAsideManager;
  /** A key outside the managers' entries, under the test keys' root (an ACL user's refused elsewhere). */
  let probe: string;

  beforeAll(async () => {
    server = await startRedisServer({ args: ['--maxmemory-policy', 'noeviction'] });
    writerClient = newFaultClient(server.url);
    readerClient = newFaultClient(server.url);
    await Promise.all([ready(writerClient), ready(readerClient)]);
    const keyPrefix = uniquePrefix('oom-tags');
    probe = `${uniquePrefix('oom-tags-probe')}probe`;
    const options = { keyPrefix, ...FAULT_OPTIONS, invalidationRetryMs: 100 };
    writer = new CacheAsideManager({ redis: writerClient, ...options });
    reader = new CacheAsideManager({ redis: readerClient, ...options });
  });

  afterAll(async () => {
    server.cli('config', 'set', 'maxmemory', '0');
    await writer.close();
    await reader.close();
    writerClient.disconnect();
    readerClient.disconnect();
    await server.stop();
  });

  afterEach(() => {
    server.cli('config', 'set', 'maxmemory', '0');
  });

  it('a set refused for memory still removes the old value (set counts as an invalidation)', async () => {
    await writer.set('s:1', 'v1');
    expect(await reader.get('s:1', () => 'loaded')).toBe('v1');

    server.cli('config', 'set', 'maxmemory', '1');
    await expect(writerClient.set(probe, 'x')).rejects.toThrow(/OOM/);
    const errors = captureErrors(writer);
    await writer.set('s:1', 'v2'); // refused: OOM (reported, not thrown)
    expect(codesOf(errors)).toContain('REDIS_ERROR');
    expect(codesOf(errors)).not.toContain('INVALIDATION_DEFERRED');

    // Acknowledged: from now on no reader may be served v1, though memory is still full.
    expect(await reader.get('s:1', () => 'loaded')).toBe('loaded');
  });

  it('stops the other manager serving the tagged entries while writes are refused', async () => {
    const KEYS = 20;
    for (let i = 0; i < KEYS; i++) await writer.get(`p:${i}`, () => 'old', { tags: ['products'] });
    await writer.settle();
    // The reader hits them all before the invalidation.
    for (let i = 0; i < KEYS; i++)
      expect(await reader.get(`p:${i}`, () => 'new', { tags: ['products'] })).toBe('old');

    server.cli('config', 'set', 'maxmemory', '1');
    await expect(writerClient.set(probe, 'x')).rejects.toThrow(/OOM/);
    const errors = captureErrors(writer);

    expect(await writer.invalidateTags(['products'])).toBe(1);
    expect(codesOf(errors)).not.toContain('INVALIDATION_DEFERRED');

    // Still out of memory: every read of the reader must load, none may answer the old value.
    let oldServed = 0;
    const ROUNDS = 5;
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < KEYS; i++) {
        const value = await reader.get(`p:${i}`, () => 'new', { tags: ['products'] });
        if (value === 'old') oldServed++;
      }
    }
    expect(`${oldServed} of ${ROUNDS * KEYS} reads served the invalidated value`).toBe(
      `0 of ${ROUNDS * KEYS} reads served the invalidated value`,
    );
  });
});
