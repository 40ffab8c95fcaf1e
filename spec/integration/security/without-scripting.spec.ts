import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import {
  captureErrors,
  codesOf,
  FAULT_OPTIONS,
  newFaultClient,
  timed,
} from '../../support/fault-kit';
import { ready } from '../../support/test-redis';

/**
 * A Redis ACL user without scripting (`-@scripting`: EVAL and EVALSHA refused with NOPERM), issue
 * #11 finding 6: nothing was stored, and the lease taken before each load was left behind, so
 * every read of a recently missed key waited a lease period (~5 s by default). The manager now
 * says so once (SCRIPTING_UNAVAILABLE) and takes the documented non-atomic path.
 */
const PREFIX = 'app:';
const ACL = ['~app:*', '&app:*', '+@all', '-@dangerous', '-@scripting'];

describe('CacheAsideManager under a Redis ACL user without scripting', () => {
  let server: RedisServer;
  let admin: Redis;
  let confined: Redis;
  let cache: CacheAsideManager;

  beforeAll(async () => {
    server = await startRedisServer();
    server.cli('acl', 'setuser', 'noscript', 'on', '>noscript-pw', ...ACL);
    admin = newFaultClient(server.url);
    confined = newFaultClient(server.url.replace('redis://', 'redis://noscript:noscript-pw@'));
    await Promise.all([ready(admin), ready(confined)]);
  });

  beforeEach(() => {
    // A lease period far above every bound below: a lease left behind would show.
    cache = new CacheAsideManager({
      redis: confined,
      keyPrefix: PREFIX,
      ...FAULT_OPTIONS,
      leaseTtlMs: 5000,
    });
  });

  afterEach(async () => {
    await cache.close();
    await admin.flushall();
  });

  afterAll(async () => {
    admin.disconnect();
    confined.disconnect();
    await server.stop();
  });

  it('stores what it loads and serves it, with one SCRIPTING_UNAVAILABLE warning', async () => {
    const errors = captureErrors(cache);
    let loads = 0;
    for (const key of ['a', 'b', 'c']) {
      expect(await cache.get(key, () => `${key}${++loads}`)).toBe(`${key}${loads}`);
      await cache.settle();
      expect(await cache.get(key, () => 'not expected')).toBe(`${key}${loads}`);
    }
    expect(loads).toBe(3);
    expect(codesOf(errors)).toEqual(['SCRIPTING_UNAVAILABLE']);
    expect(errors[0].message).toContain('-@scripting');
  });

  it('leaves no lease behind when the loader fails: the next reader loads at once', async () => {
    await expect(cache.get('k', () => Promise.reject(new Error('loader failed')))).rejects.toThrow(
      'loader failed',
    );
    await cache.settle();
    const { value, ms } = await timed(() => cache.get('k', () => 'loaded'));
    expect(value).toBe('loaded');
    expect(ms).toBeLessThan(1000); // far below the 5 s lease period
    await cache.settle();
    expect(await cache.get('k', () => 'not expected')).toBe('loaded'); // and it was stored
  });

  it('invalidates and lets a new value in after it', async () => {
    await cache.get('k', () => 'v1');
    await cache.settle();
    expect(await cache.invalidate('k')).toBe(1);
    expect(await cache.get('k', () => 'v2')).toBe('v2');
    await cache.settle();
    expect(await cache.get('k', () => 'not expected')).toBe('v2');
  });
});
