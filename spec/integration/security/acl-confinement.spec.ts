import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import type { CacheError } from '../../../lib/errors/cache-error';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import {
  captureErrors,
  codesOf,
  FAULT_OPTIONS,
  newFaultClient,
  pollUntil,
} from '../../support/fault-kit';
import { ready } from '../../support/test-redis';

/**
 * Everything under the manager's keyPrefix (issue #11, findings 1, 2 and part of 6): run as a
 * Redis ACL user confined to the prefix, the way docs/security.md tells users to, tags, tag
 * invalidation and the in-process tier all work, and a command outside the prefix is reported as
 * what it is (NOPERM), never queued forever as if Redis were down.
 */
const PREFIX = 'app:';
const ACL = ['~app:*', '&app:*', '+@all', '-@dangerous'];

describe('CacheAsideManager under a Redis ACL user confined to its prefix', () => {
  let server: RedisServer;
  let admin: Redis;
  let confined: Redis;
  let confinedToo: Redis;
  const managers: CacheAsideManager[] = [];

  const manager = (redis: Redis, options: Record<string, unknown> = {}): CacheAsideManager => {
    const cache = new CacheAsideManager({
      redis,
      keyPrefix: PREFIX,
      ...FAULT_OPTIONS,
      invalidationRetryMs: 50,
      ...options,
    });
    managers.push(cache);
    return cache;
  };

  beforeAll(async () => {
    server = await startRedisServer();
    server.cli('acl', 'setuser', 'confined', 'on', '>confined-pw', ...ACL);
    admin = newFaultClient(server.url);
    const confinedUrl = server.url.replace('redis://', 'redis://confined:confined-pw@');
    confined = newFaultClient(confinedUrl);
    confinedToo = newFaultClient(confinedUrl);
    await Promise.all([ready(admin), ready(confined), ready(confinedToo)]);
  });

  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close()));
    await admin.flushall();
  });

  afterAll(async () => {
    admin.disconnect();
    confined.disconnect();
    confinedToo.disconnect();
    await server.stop();
  });

  it('caches tagged entries and invalidates them by tag, with no error and nothing queued', async () => {
    const cache = manager(confined);
    const errors = captureErrors(cache);
    let loads = 0;
    const load = (): string => `v${++loads}`;

    expect(await cache.get('user:1', load, { tags: ['users'] })).toBe('v1');
    await cache.settle();
    expect(await cache.get('user:1', load, { tags: ['users'] })).toBe('v1');

    expect(await cache.invalidateTags(['users'])).toBe(1);
    expect(await cache.get('user:1', load, { tags: ['users'] })).toBe('v2');
    await cache.settle();
    expect(await cache.get('user:1', load, { tags: ['users'] })).toBe('v2');

    expect(codesOf(errors)).toEqual([]);
    expect(cache.stats().pendingInvalidations).toBe(0);
    expect(loads).toBe(2);
  });

  it('keeps every key it writes under the prefix (tag versions included)', async () => {
    const cache = manager(confined);
    await cache.get('user:1', () => 'v', { tags: ['users'] });
    await cache.settle();
    const keys = await admin.keys('*');
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (const key of keys) expect(key.startsWith(PREFIX)).toBe(true);
  });

  it('serves from the in-process tier and keeps it coherent across instances', async () => {
    const a = manager(confined, { l1: { maxEntries: 100 } });
    const b = manager(confinedToo, { l1: { maxEntries: 100 } });
    const errors = [...captureErrors(a), ...captureErrors(b)];
    const live = (m: CacheAsideManager): boolean =>
      (m as unknown as { l1: { bus: { isLive: boolean } } }).l1.bus.isLive;
    await pollUntil('both subscriptions live', () => live(a) && live(b), { timeoutMs: 2000 });

    await a.get('k', () => 'v1');
    await a.settle();
    expect(await a.get('k', () => 'not expected')).toBe('v1');
    expect(a.stats().l1Hits).toBe(1);

    await b.set('k', 'v2');
    await pollUntil(
      'a reads the new value',
      async () => (await a.get('k', () => 'loaded')) === 'v2',
      {
        timeoutMs: 2000,
      },
    );
    expect(errors).toEqual([]);
  });

  it('keeps tags apart between managers whose prefixes nest (app: + x:t vs app:x: + t)', async () => {
    const outer = manager(admin);
    const inner = manager(admin, { keyPrefix: `${PREFIX}x:` });
    await outer.get('a', () => 'outer v1', { tags: ['x:t'] });
    await inner.get('b', () => 'inner v1', { tags: ['t'] });
    await Promise.all([outer.settle(), inner.settle()]);

    await inner.invalidateTags(['t']);
    expect(await outer.get('a', () => 'outer v2', { tags: ['x:t'] })).toBe('outer v1');
    expect(await inner.get('b', () => 'inner v2', { tags: ['t'] })).toBe('inner v2');
  });

  it('reports NOPERM as REDIS_NO_PERMISSION, and reports a refused invalidation instead of queueing it', async () => {
    // A prefix the user's ACL does not cover: every command is refused with NOPERM.
    const outside = manager(confined, { keyPrefix: 'other:' });
    const errors: CacheError[] = captureErrors(outside);

    expect(await outside.get('k', () => 'loaded')).toBe('loaded');
    expect(await outside.invalidate('k')).toBe(0);
    await outside.settle();

    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(codesOf(errors))).toEqual(new Set(['REDIS_NO_PERMISSION']));
    expect(outside.stats().pendingInvalidations).toBe(0);
  });

  it('reports an invalidation replayed into NOPERM once and drops it (a retry cannot heal it)', async () => {
    const cache = manager(confined);
    const errors = captureErrors(cache);
    await cache.set('k', 'v');
    // Writes wait (the UNLINK times out and is queued) while the ACL loses the prefix.
    server.cli('client', 'pause', '5000', 'write');
    try {
      expect(await cache.invalidate('k')).toBe(0);
      expect(cache.stats().pendingInvalidations).toBe(1);
      server.cli('acl', 'setuser', 'confined', 'resetkeys', '~other:*');
    } finally {
      server.cli('client', 'unpause');
    }
    try {
      await pollUntil('the queue drops it', () => cache.stats().pendingInvalidations === 0, {
        timeoutMs: 3000,
      });
      // Several retry periods (50 ms) later, nothing was tried again.
      const start = Date.now();
      await pollUntil('retry periods pass', () => Date.now() - start >= 300, { timeoutMs: 1000 });
      expect(codesOf(errors)).toEqual([
        'REDIS_TIMEOUT',
        'INVALIDATION_DEFERRED',
        'REDIS_NO_PERMISSION',
      ]);
      expect(errors[2]).toMatchObject({ operation: 'invalidate', key: 'k' });
    } finally {
      server.cli('acl', 'setuser', 'confined', 'resetkeys', ...ACL.slice(0, 1));
    }
  });
});
