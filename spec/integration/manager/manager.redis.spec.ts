import type { Cluster } from 'ioredis';
import { CacheAsideManager, type CacheError } from '../../../lib';
import { adminFor, clusterAdmin, type AdminClient } from '../../support/admin-client';
import { clusterNodes, familyUnderTest, type TestClient } from '../../support/client-families';
import {
  collectErrors,
  isExpectedWarning,
  testRedisUrl,
  uniquePrefix,
} from '../../support/test-redis';

/**
 * The manager's behaviours on the client family of this jest project (CACHE_ASIDE_TEST_CLIENT:
 * ioredis 5 in `integration`, ioredis 6, iovalkey, node-redis and the embedded memory store in
 * `integration:<client>`). What the store holds is read through an admin connection, never
 * through the client under test.
 */
const family = familyUnderTest();
/** The embedded store has no server URL, no Cluster and no other data types than strings. */
const onServer = family.name !== 'memory store';
const serverUrl = (): string => (onServer ? testRedisUrl() : '');

describe(`CacheAsideManager on ${family.name}`, () => {
  let under: TestClient;
  let admin: AdminClient;
  let cache: CacheAsideManager;
  let prefix: string;
  const errors: CacheError[] = [];

  beforeAll(async () => {
    under = await family.standalone(serverUrl());
    admin = await adminFor(under, serverUrl());
  });

  beforeEach(() => {
    prefix = uniquePrefix('manager');
    errors.length = 0;
    cache = new CacheAsideManager({ redis: under.client, keyPrefix: prefix, defaultTtl: 60 });
    collectErrors(cache, errors);
  });

  afterEach(() => cache.close());
  afterAll(async () => {
    await admin.close();
    await under.close();
  });

  it('serves a miss from the loader, then hits without calling it', async () => {
    const loader = jest.fn(async (key: string) => ({ key, at: 1 }));
    expect(await cache.get('user:1', loader)).toEqual({ key: 'user:1', at: 1 });
    await cache.settle();
    expect(await cache.get('user:1', loader)).toEqual({ key: 'user:1', at: 1 });
    expect(loader).toHaveBeenCalledTimes(1);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, hitRatio: 0.5 });
    expect(errors).toEqual([]);
  });

  it('writes one SET with PX, under keyPrefix', async () => {
    await cache.set('k', 'v', { ttl: 30 });
    const pttl = await admin.pttl(`${prefix}k`);
    expect(pttl).toBeGreaterThan(30_000 * 0.94);
    expect(pttl).toBeLessThanOrEqual(30_000);
  });

  it.each([0, '', false, null, undefined])(
    'round-trips the falsy value %p as itself',
    async (value) => {
      const loader = jest.fn(async () => value);
      await cache.get('falsy', loader);
      await cache.settle();
      expect(await cache.get('falsy', loader)).toBe(value);
      expect(loader).toHaveBeenCalledTimes(1);
    },
  );

  it('reports the TTL left, -1 without expiry, -2 without entry, and changes it', async () => {
    await cache.set('ttl', 1, { ttl: 100 });
    expect(await cache.getTtl('ttl')).toBeGreaterThan(90);
    expect(await cache.getTtl('ttl')).toBeLessThanOrEqual(100);
    expect(await cache.setTtl('ttl', 500)).toBe(true);
    expect(await cache.getTtl('ttl')).toBe(500);
    expect(await admin.pttl(`${prefix}ttl`)).toBeGreaterThan(499_000);
    expect(await cache.setTtl('ttl', Infinity)).toBe(true);
    expect(await cache.getTtl('ttl')).toBe(-1);
    expect(await cache.get('ttl', async () => 2)).toBe(1);
    expect(await cache.getTtl('none')).toBe(-2);
    expect(await cache.setTtl('none', 5)).toBe(false);
  });

  it('expires entries after their TTL', async () => {
    const loader = jest.fn(async () => 'v');
    await cache.get('short', loader, { ttl: 0.2 });
    await cache.settle();
    await new Promise((resolve) => setTimeout(resolve, 250));
    await cache.get('short', loader, { ttl: 0.2 });
    expect(loader).toHaveBeenCalledTimes(2);
  });

  it('invalidates keys and counts what it removed', async () => {
    await cache.set('a', 1);
    await cache.set('b', 2);
    expect(await cache.invalidate(['a', 'b', 'c'])).toBe(2);
    expect(await cache.invalidate('a')).toBe(0);
    expect(await cache.get('a', async () => 'fresh')).toBe('fresh');
  });

  it('invalidates by pattern relative to the prefix, with SCAN in batches', async () => {
    const small = new CacheAsideManager({
      redis: under.client,
      keyPrefix: prefix,
      scanCount: 7,
    });
    await Promise.all(Array.from({ length: 40 }, (_, i) => small.set(`user:${i}`, i)));
    await small.set('order:1', 1);
    expect(await small.invalidatePattern('user:*')).toBe(40);
    expect(await admin.exists(`${prefix}order:1`)).toBe(1);
    await small.close();
  });

  it('reads many keys in one round trip and loads only the missing ones, in order', async () => {
    await cache.set('m:1', 'one');
    await cache.set('m:3', 'three');
    const loader = jest.fn(async (missing: string[]) => missing.map((k) => `loaded ${k}`));
    expect(await cache.getMany(['m:1', 'm:2', 'm:3', 'm:4', 'm:2'], loader)).toEqual([
      'one',
      'loaded m:2',
      'three',
      'loaded m:4',
      'loaded m:2',
    ]);
    expect(loader).toHaveBeenCalledWith(['m:2', 'm:4']);
    await cache.settle();
    expect(await cache.getMany(['m:2', 'm:4'], loader)).toEqual(['loaded m:2', 'loaded m:4']);
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('stops serving entries of an invalidated tag', async () => {
    const loader = jest.fn(async () => 'v1');
    await cache.get('tagged', loader, { tags: ['users'] });
    await cache.settle();
    await cache.get('tagged', loader, { tags: ['users'] });
    expect(loader).toHaveBeenCalledTimes(1);
    expect(await cache.invalidateTags(['users'])).toBe(1);
    expect(await cache.get('tagged', async () => 'v2', { tags: ['users'] })).toBe('v2');
    // Tag keys live under the prefix (<prefix>~t:<tag>) and expire a week after their last use.
    const tagTtl = await admin.pttl(`${prefix}~t:users`);
    expect(tagTtl).toBeGreaterThan(6 * 24 * 3600 * 1000);
  });

  it('treats corrupt bytes at a key as a miss, replaces them and says why', async () => {
    await admin.set(`${prefix}corrupt`, Buffer.from([0xca, 0x01, 0x00, 0x00, 1, 2, 3]));
    expect(await cache.get('corrupt', async () => 'repaired')).toBe('repaired');
    await cache.settle();
    expect(errors.map((e) => e.code)).toEqual(['DECODE_FAILED']);
    expect(await cache.get('corrupt', async () => 'not again')).toBe('repaired');
  });

  it('treats a foreign value as a miss', async () => {
    await admin.set(`${prefix}foreign`, '{"written":"by someone else"}');
    expect(await cache.get('foreign', async () => 'mine')).toBe('mine');
    await cache.settle();
    expect(errors.map((e) => e.code)).toEqual(['DECODE_FAILED']);
  });

  // The memory store holds strings only: a key of another type exists on a server alone.
  if (onServer) {
    it('treats a wrong-type key as a miss and leaves it alone', async () => {
      const server = admin.server as NonNullable<AdminClient['server']>;
      await server.hset(`${prefix}hash`, 'field', 'value');
      expect(await cache.get('hash', async () => 'served anyway')).toBe('served anyway');
      await cache.settle();
      expect(errors.map((e) => e.code)).toEqual(['REDIS_ERROR']);
      expect(errors[0].cause).toBeInstanceOf(Error);
      expect(await server.type(`${prefix}hash`)).toBe('hash');
    });
  }

  it('serves the previous value inside the grace window when the loader fails', async () => {
    await cache.get('graceful', async () => 'old', { ttl: 0.1, grace: 10 });
    await cache.settle();
    await new Promise((resolve) => setTimeout(resolve, 150));
    const failing = jest.fn(async (): Promise<string> => {
      throw new Error('database down');
    });
    expect(await cache.get('graceful', failing, { ttl: 0.1, grace: 10 })).toBe('old');
    await cache.settle();
    expect(cache.stats().staleServed).toBe(1);
    // Throttled: the failing loader is not called again right away.
    expect(await cache.get('graceful', failing, { ttl: 0.1, grace: 10 })).toBe('old');
    expect(failing).toHaveBeenCalledTimes(1);
  });

  it('refreshes once in the background past the eager refresh point', async () => {
    let version = 1;
    const loader = jest.fn(async () => `v${version}`);
    // Refresh point at 1 s, expiry at 2 s: the reads below land between the two even when the
    // timer fires late on a loaded machine (with 0.5 s and a read at 420 ms, CI read after expiry).
    const options = { ttl: 2, eagerRefresh: 0.5 };
    await cache.get('eager', loader, options);
    await cache.settle();
    version = 2;
    await new Promise((resolve) => setTimeout(resolve, 1050));
    const hits = await Promise.all([1, 2, 3].map(() => cache.get('eager', loader, options)));
    expect(hits).toEqual(['v1', 'v1', 'v1']);
    await cache.settle();
    expect(loader).toHaveBeenCalledTimes(2);
    expect(await cache.get('eager', loader, options)).toBe('v2');
  });
});

const clusterOf = family.cluster?.bind(family);
// The memory store has no Cluster: this part runs on the server families only.
if (clusterOf !== undefined) {
  describe(`CacheAsideManager on a Redis Cluster (${family.name})`, () => {
    let cluster: TestClient;
    let admin: AdminClient;
    let cache: CacheAsideManager;

    beforeAll(async () => {
      cluster = await clusterOf(clusterNodes());
      admin = await clusterAdmin();
      cache = new CacheAsideManager({ redis: cluster.client, keyPrefix: uniquePrefix('cluster') });
    });

    afterAll(async () => {
      await cache.close();
      await admin.close();
      await cluster.close();
    });

    it('stores, reads, and invalidates by pattern across every master', async () => {
      const keys = Array.from({ length: 60 }, (_, i) => `item:${i}`);
      await Promise.all(keys.map((key) => cache.get(key, async () => key)));
      await cache.settle();
      const masters = (admin.server as Cluster).nodes('master');
      expect(masters).toHaveLength(3);
      const loader = jest.fn(async (missing: string[]) => missing);
      expect(await cache.getMany(keys, loader)).toEqual(keys);
      expect(loader).not.toHaveBeenCalled();
      expect(await cache.invalidatePattern('item:*')).toBe(60);
      expect(await cache.invalidate(keys.slice(0, 5))).toBe(0);
    });

    it('keeps tags working when tagged entries live in different slots', async () => {
      await cache.get('{a}x', async () => 1, { tags: ['t'] });
      await cache.get('{b}y', async () => 2, { tags: ['t'] });
      await cache.settle();
      await cache.invalidateTags(['t']);
      expect(await cache.get('{a}x', async () => 10, { tags: ['t'] })).toBe(10);
      expect(await cache.get('{b}y', async () => 20, { tags: ['t'] })).toBe(20);
    });
  });
}

describe(`CacheAsideManager stale answers on ${family.name}`, () => {
  let under: TestClient;
  let cache: CacheAsideManager;
  const codes: string[] = [];

  beforeAll(async () => {
    under = await family.standalone(serverUrl());
  });

  beforeEach(() => {
    codes.length = 0;
    cache = new CacheAsideManager({
      redis: under.client,
      keyPrefix: uniquePrefix('stale'),
      ttlJitter: 0,
    });
    cache.on('error', (e) => {
      if (!isExpectedWarning(e)) codes.push(e.code);
    });
  });

  afterEach(() => cache.close());
  afterAll(() => under.close());

  const expire = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 120));

  it('serves the old value at once while one background load revalidates it', async () => {
    await cache.get('swr', async () => 'v1', { ttl: 0.1, staleWhileRevalidate: 10 });
    await cache.settle();
    await expire();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const loader = jest.fn(async () => {
      await gate;
      return 'v2';
    });
    const answers = await Promise.all(
      [1, 2, 3].map(() => cache.get('swr', loader, { ttl: 0.1, staleWhileRevalidate: 10 })),
    );
    expect(answers).toEqual(['v1', 'v1', 'v1']);
    release();
    await cache.settle();
    expect(loader).toHaveBeenCalledTimes(1);
    expect(await cache.get('swr', async () => 'unused', { ttl: 10 })).toBe('v2');
    expect(cache.stats().staleServed).toBe(3);
  });

  it('answers with the old value at the soft timeout and stores the slow load when it lands', async () => {
    await cache.get('soft', async () => 'old', { ttl: 0.1, grace: 10 });
    await cache.settle();
    await expire();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const started = performance.now();
    const value = await cache.get(
      'soft',
      async () => {
        await gate;
        return 'new';
      },
      { ttl: 10, grace: 10, softTimeoutMs: 50 },
    );
    expect(value).toBe('old');
    expect(performance.now() - started).toBeLessThan(1000);
    release();
    await cache.settle();
    expect(await cache.get('soft', async () => 'unused', { ttl: 10 })).toBe('new');
  });

  it('stops waiting at the hard timeout with LOADER_TIMEOUT when nothing old can answer', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await expect(
      cache.get(
        'hard',
        async () => {
          await gate;
          return 'late';
        },
        { hardTimeoutMs: 50 },
      ),
    ).rejects.toMatchObject({ code: 'LOADER_TIMEOUT', key: 'hard' });
    release();
    await cache.settle();
    expect(await cache.get('hard', async () => 'unused')).toBe('late');
  });

  it('leaves a failing loader alone during the rest after a grace answer, even with eagerRefresh', async () => {
    const opts = { ttl: 0.1, grace: 10, eagerRefresh: 0.5 };
    await cache.get('rest', async () => 'old', opts);
    await cache.settle();
    await expire();
    const failing = jest.fn(async (): Promise<string> => {
      throw new Error('database down');
    });
    for (let i = 0; i < 6; i++) {
      expect(await cache.get('rest', failing, opts)).toBe('old');
      await cache.settle();
    }
    expect(failing).toHaveBeenCalledTimes(1);
  });

  it('refuses bad stale options', async () => {
    await expect(cache.get('k', async () => 1, { staleWhileRevalidate: -1 })).rejects.toThrow(
      RangeError,
    );
    await expect(cache.get('k', async () => 1, { softTimeoutMs: 0 })).rejects.toThrow(RangeError);
    await expect(cache.get('k', async () => 1, { hardTimeoutMs: NaN })).rejects.toThrow(RangeError);
  });
});
