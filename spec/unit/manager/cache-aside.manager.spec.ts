import type Redis from 'ioredis';
import RedisMock from 'ioredis-mock';
import {
  BatchSizeMismatchError,
  CacheAsideManager,
  CacheError,
  type Serializer,
} from '../../../lib';

/** An in-memory Redis (ioredis-mock) with a settable connection status and failure switch. */
let instances = 0;
function mockRedis(): Redis & { failing: boolean } {
  // ioredis-mock shares one keyspace per host:port: a port of its own keeps each test apart.
  const client = new RedisMock({ port: 20_000 + ++instances }) as unknown as Redis & {
    status: string;
    failing: boolean;
  };
  Object.defineProperty(client, 'status', { value: 'ready', writable: true });
  client.failing = false;
  for (const command of [
    'getBuffer',
    'mgetBuffer',
    'set',
    'unlink',
    'evalsha',
    'eval',
    'get',
    'pttl',
    'scan',
  ] as const) {
    const original = (client as unknown as Record<string, (...a: unknown[]) => unknown>)[
      command
    ].bind(client);
    (client as unknown as Record<string, unknown>)[command] = (...args: unknown[]) =>
      client.failing ? Promise.reject(new Error('Connection is closed.')) : original(...args);
  }
  return client;
}

describe('CacheAsideManager', () => {
  let redis: ReturnType<typeof mockRedis>;
  let cache: CacheAsideManager;
  let errors: CacheError[];

  beforeEach(() => {
    redis = mockRedis();
    cache = new CacheAsideManager({
      redis,
      keyPrefix: 'unit:',
      ttlJitter: 0,
      invalidationRetryMs: 20,
      circuitBreaker: { failureThreshold: 100 },
    });
    errors = [];
    cache.on('error', (e) => errors.push(e));
  });

  afterEach(async () => {
    await cache.close();
    redis.disconnect();
  });

  describe('construction', () => {
    it('refuses a missing client with a message that says what to pass', () => {
      expect(() => new CacheAsideManager({} as never)).toThrow(
        /options.redis must be an ioredis .*node-redis.*new Redis\(process.env.REDIS_URL\)/,
      );
      expect(() => new CacheAsideManager({ redis: {} } as never)).toThrow(
        expect.objectContaining({ code: 'ERR_CACHE_ASIDE_UNSUPPORTED_CLIENT' }) as Error,
      );
      expect(() => new CacheAsideManager(undefined as never)).toThrow(TypeError);
    });

    it.each([0, -1, NaN, '60'])('refuses defaultTtl %p with a RangeError', (ttl) => {
      expect(() => new CacheAsideManager({ redis, defaultTtl: ttl as number })).toThrow(RangeError);
    });

    it('accepts Infinity as "no expiry"', () => {
      expect(new CacheAsideManager({ redis, defaultTtl: Infinity }).defaultTtl).toBe(Infinity);
    });

    it('refuses a serializer without serialize/deserialize at construction', () => {
      expect(
        () =>
          new CacheAsideManager({
            redis,
            serializer: { serialize: () => '' } as unknown as Serializer,
          }),
      ).toThrow(/serializer must implement serialize/);
    });

    it("refuses a client that has ioredis's own keyPrefix", () => {
      const prefixed = new RedisMock({ keyPrefix: 'x:' });
      Object.defineProperty(prefixed, 'options', { value: { keyPrefix: 'x:' } });
      expect(() => new CacheAsideManager({ redis: prefixed })).toThrow(
        /keyPrefix \("x:"\).*pass \{ keyPrefix \}/,
      );
    });

    it.each([
      [
        { operationTimeoutMs: 3e9 },
        /operationTimeoutMs must be a number of milliseconds from 1 to 2147483647/,
      ],
      [{ leaseTtlMs: 1500.5 }, /leaseTtlMs must be a whole number/],
      [{ scanCount: 10.5 }, /scanCount must be a whole number/],
      [
        { circuitBreaker: { failureThreshold: 0 } },
        /circuitBreaker.failureThreshold must be a whole number/,
      ],
      [
        { circuitBreaker: { cooldownMs: -1 } },
        /circuitBreaker.cooldownMs must be a finite number >= 0/,
      ],
      [{ circuitBreaker: 'fast' }, /circuitBreaker must be/],
      [{ l1: { maxEntries: 0.5 } }, /l1.maxEntries must be a whole number/],
      [{ defaultTtl: 1e21 }, /defaultTtl must be a positive number of seconds up to/],
      [{ operationTimeoutMs: 0 }, /operationTimeoutMs/],
      [{ ttlJitter: 1 }, /ttlJitter/],
      [{ maxValueBytes: -1 }, /maxValueBytes/],
      [{ leaseTtlMs: NaN }, /leaseTtlMs/],
      [{ keyPrefix: 5 }, /keyPrefix must be a string/],
      [{ coalesceWrites: 'yes' }, /coalesceWrites must be true or false, got "yes"/],
    ])('refuses bad option %p', (options, message) => {
      expect(() => new CacheAsideManager({ redis, ...(options as object) })).toThrow(message);
    });

    it('defaults the prefix and TTL as documented', () => {
      const defaults = new CacheAsideManager({ redis });
      expect(defaults.keyPrefix).toBe('cache:');
      expect(defaults.defaultTtl).toBe(60);
      expect(defaults.redis).toBe(redis);
    });
  });

  describe('bad input', () => {
    it.each(['', 5, null, undefined])(
      'get refuses key %p with a TypeError naming it',
      async (key) => {
        await expect(cache.get(key as string, async () => 1)).rejects.toThrow(
          /key must be a non-empty string/,
        );
      },
    );

    it('refuses bad read options before touching Redis, leaving no lease behind', async () => {
      await expect(cache.get('k', async () => 1, { tags: [''] })).rejects.toThrow(
        /tags\[0\] must be a non-empty string/,
      );
      await expect(cache.get('k', async () => 1, { tags: 'users' as never })).rejects.toThrow(
        /tags must be an array of strings/,
      );
      await expect(cache.get('k', async () => 1, { ttl: -5 })).rejects.toThrow(RangeError);
      await expect(cache.get('k', async () => 1, { ttl: '60' as never })).rejects.toThrow(
        RangeError,
      );
      await expect(cache.get('k', async () => 1, { hardTimeoutMs: 3e9 })).rejects.toThrow(
        /hardTimeoutMs/,
      );
      await expect(cache.get('k', async () => 1, null as never)).rejects.toThrow(
        /options of a read must be an object/,
      );
      await expect(cache.getMany(['k'], async () => [1], { tags: [''] })).rejects.toThrow(
        /tags\[0\]/,
      );
      await expect(cache.set('k', 1, { tags: ['x'.repeat(256)] })).rejects.toThrow(
        /at most 255 bytes/,
      );
      expect(await redis.exists('unit:k')).toBe(0);
    });

    it('refuses a missing loader, bad grace and bad eagerRefresh', async () => {
      await expect(cache.get('k', undefined as never)).rejects.toThrow(/loader must be a function/);
      await expect(cache.get('k', async () => 1, { grace: -1 })).rejects.toThrow(RangeError);
      await expect(cache.get('k', async () => 1, { eagerRefresh: 1.5 })).rejects.toThrow(
        RangeError,
      );
    });

    it('refuses bad keys, TTLs, patterns and tags elsewhere', async () => {
      await expect(cache.set('k', 1, { ttl: 0 })).rejects.toThrow(RangeError);
      await expect(cache.invalidate(['ok', ''])).rejects.toThrow(/keys\[1\]/);
      await expect(cache.invalidate(5 as never)).rejects.toThrow(/a key or an array of keys/);
      await expect(cache.invalidatePattern('')).rejects.toThrow(/pattern/);
      await expect(cache.invalidateTags('t' as never)).rejects.toThrow(/tags must be an array/);
      await expect(cache.invalidateTags([''])).rejects.toThrow(/tags\[0\]/);
      await expect(cache.getMany('k' as never, async () => [])).rejects.toThrow(
        /keys must be an array/,
      );
      await expect(cache.setTtl('k', -5)).rejects.toThrow(RangeError);
      await expect(cache.get('k', async () => 1, { serializer: {} as Serializer })).rejects.toThrow(
        TypeError,
      );
    });
  });

  describe('get()', () => {
    it('passes the key to the loader and returns its value', async () => {
      const loader = jest.fn(async (key: string) => `value of ${key}`);
      expect(await cache.get('a', loader)).toBe('value of a');
      expect(loader).toHaveBeenCalledWith('a');
    });

    it('calls the loader once for concurrent misses in one process', async () => {
      const loader = jest.fn(async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { n: 1 };
      });
      const values = await Promise.all(Array.from({ length: 10 }, () => cache.get('hot', loader)));
      expect(loader).toHaveBeenCalledTimes(1);
      expect(new Set(values).size).toBe(1);
      expect(cache.stats()).toMatchObject({ misses: 10, coalesced: 9, loads: 1 });
    });

    it('passes a loader error to every caller unchanged and stores nothing', async () => {
      const error = new Error('db down');
      const results = await Promise.allSettled(
        [1, 2, 3].map(() => cache.get('e', async () => Promise.reject(error))),
      );
      expect(results.every((r) => r.status === 'rejected' && r.reason === error)).toBe(true);
      await cache.settle();
      expect(await redis.get('unit:e')).toBeNull();
      expect(await cache.get('e', async () => 'later')).toBe('later');
    });

    it('emits hit and miss events with the key and label', async () => {
      const seen: string[] = [];
      cache.on('hit', ({ key, label }) => seen.push(`hit ${key} ${label}`));
      cache.on('miss', ({ key, label }) => seen.push(`miss ${key} ${label}`));
      cache.on('set', ({ key }) => seen.push(`set ${key}`));
      await cache.get('a', async () => 1, { label: 'Repo.find' });
      await cache.settle();
      await cache.get('a', async () => 1, { label: 'Repo.find' });
      expect(seen).toEqual(['miss a Repo.find', 'set a', 'hit a Repo.find']);
      expect(cache.stats().methods['Repo.find']).toMatchObject({
        hits: 1,
        misses: 1,
        hitRatio: 0.5,
        loads: 1,
      });
    });

    it('does not store a result whose computed TTL is 0 or less', async () => {
      await cache.get('no', async () => 'x', { ttl: () => 0 });
      await cache.settle();
      expect(await redis.exists('unit:no')).toBe(0);
      await cache.get('yes', async () => 'x', { ttl: (v: string) => v.length * 10 });
      await cache.settle();
      expect(await redis.pttl('unit:yes')).toBeGreaterThan(9_900);
    });

    it('reports a throwing TTL function and does not store', async () => {
      expect(
        await cache.get('t', async () => 'x', {
          ttl: () => {
            throw new Error('bad ttl');
          },
        }),
      ).toBe('x');
      await cache.settle();
      expect(errors.map((e) => e.code)).toEqual(['CALLBACK_FAILED']);
      expect(await redis.exists('unit:t')).toBe(0);
    });

    it('returns a value the serializer cannot encode, without storing it', async () => {
      expect(await cache.get('big', async () => ({ n: 10n }))).toEqual({ n: 10n });
      await cache.settle();
      expect(errors[0]).toMatchObject({ code: 'ENCODE_FAILED', operation: 'get', key: 'big' });
      expect(errors[0].cause).toMatchObject({ name: 'TypeError' }); // a redacted copy: safe to log
      expect(await redis.exists('unit:big')).toBe(0);
    });

    it('returns but does not store a value over maxValueBytes', async () => {
      const small = new CacheAsideManager({ redis, keyPrefix: 'small:', maxValueBytes: 100 });
      small.on('error', (e) => errors.push(e));
      const value = 'x'.repeat(200);
      expect(await small.get('k', async () => value)).toBe(value);
      await small.settle();
      expect(errors.map((e) => e.code)).toEqual(['VALUE_TOO_LARGE']);
      expect(await redis.exists('small:k')).toBe(0);
    });

    it('is served by the loader when Redis fails, counting and emitting the error', async () => {
      redis.failing = true;
      expect(await cache.get('k', async () => 'from loader')).toBe('from loader');
      expect(errors[0]).toMatchObject({ code: 'REDIS_UNAVAILABLE', operation: 'get', key: 'k' });
      expect(errors[0].message).toMatch(/^\[cache-aside\]/);
      expect(cache.stats()).toMatchObject({ errors: 1, misses: 1 });
    });

    it('does not wait on a client that is reconnecting', async () => {
      redis.status = 'reconnecting';
      const started = Date.now();
      expect(await cache.get('k', async () => 'v')).toBe('v');
      expect(Date.now() - started).toBeLessThan(50);
      expect(errors[0].code).toBe('REDIS_UNAVAILABLE');
    });

    it('never throws an error event at a process that does not listen', async () => {
      const quiet = new CacheAsideManager({ redis, keyPrefix: 'quiet:' });
      redis.failing = true;
      await expect(quiet.get('k', async () => 1)).resolves.toBe(1);
      expect(quiet.stats().errors).toBe(1);
    });

    it('keeps a custom serializer per call, and reads entries of another codec as misses', async () => {
      const upper: Serializer = {
        id: 'upper',
        serialize: (v) => String(v).toUpperCase(),
        deserialize: (b) => b.toString(),
      };
      await cache.get('c', async () => 'hello', { serializer: upper });
      await cache.settle();
      expect(await cache.get('c', async () => 'x', { serializer: upper })).toBe('HELLO');
      expect(await cache.get('c', async () => 'json value')).toBe('json value');
      expect(errors.map((e) => e.code)).toEqual(['DECODE_FAILED']);
      expect(errors[0].message).toMatch(/codec "upper"/);
    });
  });

  describe('getMany()', () => {
    it('rejects a loader that returns the wrong number of values, storing nothing', async () => {
      await expect(cache.getMany(['a', 'b'], async () => [1])).rejects.toThrow(
        BatchSizeMismatchError,
      );
      await expect(cache.getMany(['a', 'b'], async () => 'no' as never)).rejects.toMatchObject({
        expected: 2,
        received: undefined,
        message: expect.stringMatching(
          /returned something other than an array for 2 keys/,
        ) as string,
      });
      await cache.settle();
      expect(await redis.exists('unit:a', 'unit:b')).toBe(0);
    });

    it('passes a loader error through and releases its leases', async () => {
      await expect(
        cache.getMany(['a'], async () => Promise.reject(new Error('x'))),
      ).rejects.toThrow('x');
      await cache.settle();
      expect(await redis.exists('unit:a')).toBe(0);
    });

    it('shares loads in flight with get() and other batches: concurrent misses load each key once', async () => {
      const loads: string[] = [];
      const batch = async (keys: string[]) => {
        loads.push(...keys);
        await new Promise((resolve) => setTimeout(resolve, 20));
        return keys.map((k) => `v-${k}`);
      };
      const single = async (key: string) => {
        loads.push(key);
        await new Promise((resolve) => setTimeout(resolve, 20));
        return `v-${key}`;
      };
      const [a, b, c, d] = await Promise.all([
        cache.getMany(['x', 'y'], batch),
        cache.getMany(['x', 'z'], batch),
        cache.get('x', single),
        cache.get('z', single),
      ]);
      expect(a).toEqual(['v-x', 'v-y']);
      expect(b).toEqual(['v-x', 'v-z']);
      expect([c, d]).toEqual(['v-x', 'v-z']);
      expect(loads.sort()).toEqual(['x', 'y', 'z']);
    });

    it('loads afresh a key whose load in flight began before an invalidation', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const first = cache.get('r', async () => {
        await gate;
        return 'old';
      });
      await new Promise((resolve) => setTimeout(resolve, 10));
      // Another instance invalidates: the first load's lease goes, though it is still in flight here.
      const other = new CacheAsideManager({ redis, keyPrefix: 'unit:' });
      await other.invalidate('r');
      expect(await cache.getMany(['r'], async (keys) => keys.map(() => 'new'))).toEqual(['new']);
      release();
      expect(await first).toBe('old');
      await other.close();
    });

    it('rejects the batch and every joined read with the loader error', async () => {
      const error = new Error('batch failed');
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const batch = cache.getMany(['p', 'q'], async () => {
        await gate;
        throw error;
      });
      await new Promise((resolve) => setTimeout(resolve, 10));
      const joined = cache.get('p', async () => 'not called');
      release();
      await expect(batch).rejects.toBe(error);
      await expect(joined).rejects.toBe(error);
    });

    it('returns [] for no keys without calling the loader', async () => {
      const loader = jest.fn();
      expect(await cache.getMany([], loader)).toEqual([]);
      expect(loader).not.toHaveBeenCalled();
    });

    it('is served by the loader when Redis fails', async () => {
      redis.failing = true;
      expect(await cache.getMany(['a', 'b'], async (keys) => keys.map((k) => k + '!'))).toEqual([
        'a!',
        'b!',
      ]);
      expect(errors[0]).toMatchObject({ code: 'REDIS_UNAVAILABLE', operation: 'getMany' });
    });

    it('stores tagged values and serves them until the tag is invalidated', async () => {
      await cache.getMany(['a'], async () => [1], { tags: ['t'], label: 'm' });
      await cache.settle();
      expect(await cache.getMany(['a'], async () => [2], { tags: ['t'] })).toEqual([1]);
      await cache.invalidateTags(['t']);
      expect(await cache.getMany(['a'], async () => [3], { tags: ['t'] })).toEqual([3]);
    });
  });

  describe('set()', () => {
    it('wins over a load already in flight', async () => {
      let release!: () => void;
      const slow = cache.get(
        'k',
        () => new Promise<string>((resolve) => (release = () => resolve('old'))),
      );
      await new Promise((resolve) => setTimeout(resolve, 10));
      await cache.set('k', 'new');
      release();
      expect(await slow).toBe('old');
      await cache.settle();
      expect(await cache.get('k', async () => 'loader')).toBe('new');
    });

    it('invalidates the old value when the new one cannot be encoded', async () => {
      await cache.set('k', 'old');
      await cache.set('k', { bad: 1n });
      expect(errors.map((e) => e.code)).toEqual(['ENCODE_FAILED']);
      expect(await redis.exists('unit:k')).toBe(0);
    });

    it('queues an invalidation when Redis is away, so the old value is not served later', async () => {
      await cache.set('k', 'old');
      redis.failing = true;
      await cache.set('k', 'new');
      expect(errors.map((e) => e.code)).toEqual(['REDIS_UNAVAILABLE', 'INVALIDATION_DEFERRED']);
      redis.failing = false;
      expect(await cache.get('k', async () => 'loaded')).toBe('loaded');
    });
  });

  describe('invalidation while Redis is away', () => {
    it('queues, skips covered reads, and replays when the client is ready again', async () => {
      await cache.set('a', 1);
      await cache.set('user:1', 1);
      await cache.set('tagged', 1, { tags: ['t'] });
      redis.failing = true;
      expect(await cache.invalidate('a')).toBe(0);
      expect(await cache.invalidatePattern('user:*')).toBe(0);
      expect(await cache.invalidateTags(['t'])).toBe(0);
      expect(cache.stats().pendingInvalidations).toBe(3);
      expect(errors.filter((e) => e.code === 'INVALIDATION_DEFERRED')).toHaveLength(3);
      redis.failing = false;
      // Invalidated, though not in Redis yet: no entry as far as the TTL is concerned.
      expect(await cache.getTtl('a')).toBe(-2);
      expect(await cache.setTtl('user:1', 30)).toBe(false);
      // Reachable again but not replayed yet: covered keys are not served from Redis.
      expect(await cache.get('a', async () => 'fresh a')).toBe('fresh a');
      expect(await cache.get('user:1', async () => 'fresh user')).toBe('fresh user');
      expect(await cache.get('tagged', async () => 'fresh tagged', { tags: ['t'] })).toBe(
        'fresh tagged',
      );
      (redis as unknown as { emit(e: string): void }).emit('ready');
      for (let i = 0; i < 50 && cache.stats().pendingInvalidations > 0; i++)
        await new Promise((r) => setTimeout(r, 5));
      expect(cache.stats().pendingInvalidations).toBe(0);
    });

    it('retries on a timer while Redis stays away, then replays', async () => {
      await cache.set('a', 1);
      redis.failing = true;
      await cache.invalidate('a');
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(cache.stats().pendingInvalidations).toBe(1);
      redis.failing = false;
      for (let i = 0; i < 40 && cache.stats().pendingInvalidations > 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(cache.stats().pendingInvalidations).toBe(0);
      expect(await redis.exists('unit:a')).toBe(0);
    });

    it('drops the oldest invalidation beyond the queue size and says so', async () => {
      const bounded = new CacheAsideManager({ redis, keyPrefix: 'b:', invalidationQueueSize: 2 });
      const codes: string[] = [];
      bounded.on('error', (e) => codes.push(e.code));
      redis.failing = true;
      await bounded.invalidate(['a', 'b']);
      await bounded.invalidate('c');
      expect(codes).toContain('INVALIDATION_DROPPED');
      expect(bounded.stats().pendingInvalidations).toBe(1);
      redis.failing = false;
      await bounded.close();
    });
  });

  describe('TTL and lifecycle', () => {
    it('answers -2 and false when Redis is away', async () => {
      redis.failing = true;
      expect(await cache.getTtl('k')).toBe(-2);
      expect(await cache.setTtl('k', 5)).toBe(false);
      expect(errors.map((e) => e.operation)).toEqual(['getTtl', 'setTtl']);
    });

    it('treats a foreign value as no entry and leaves its expiry alone (#11)', async () => {
      await redis.set('unit:foreign', 'x');
      expect(await cache.getTtl('foreign')).toBe(-2);
      expect(await cache.setTtl('foreign', 10)).toBe(false);
      expect(await redis.pttl('unit:foreign')).toBe(-1);
    });

    it('treats a key being loaded as no entry', async () => {
      let release!: () => void;
      const load = cache.get(
        'loading',
        () => new Promise((resolve) => (release = () => resolve(1))),
      );
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(await cache.getTtl('loading')).toBe(-2);
      expect(await cache.setTtl('loading', 5)).toBe(false);
      release();
      await load;
    });

    it('resets statistics and supports off/once', async () => {
      const hits = jest.fn();
      cache.once('miss', hits);
      await cache.get('a', async () => 1);
      await cache.get('b', async () => 1);
      expect(hits).toHaveBeenCalledTimes(1);
      const listener = jest.fn();
      cache.on('miss', listener).off('miss', listener);
      await cache.get('c', async () => 1);
      expect(listener).not.toHaveBeenCalled();
      cache.resetStats();
      expect(cache.stats()).toMatchObject({ hits: 0, misses: 0, hitRatio: 0, methods: {} });
    });

    it('reports the circuit breaker state', async () => {
      const fragile = new CacheAsideManager({
        redis,
        keyPrefix: 'c:',
        circuitBreaker: { failureThreshold: 1, cooldownMs: 60_000 },
      });
      expect(fragile.stats().circuit).toBe('closed');
      redis.failing = true;
      await fragile.get('k', async () => 1);
      expect(fragile.stats().circuit).toBe('open');
      await fragile.close();
    });

    it('sends nothing for an empty list of keys', async () => {
      expect(await cache.invalidate([])).toBe(0);
      expect(errors).toEqual([]);
    });

    it('never closes a client it was given', async () => {
      await cache.close();
      expect(await redis.ping()).toBe('PONG');
    });
  });
});

describe('CacheAsideManager TTL jitter', () => {
  it('shortens each TTL by the seeded random fraction of ttlJitter, never lengthens it', async () => {
    const redis = new RedisMock({ port: 29_999 });
    const draws = [0, 0.5, 0.999];
    const cache = new CacheAsideManager({
      redis,
      keyPrefix: 'jitter:',
      ttlJitter: 0.1,
      random: () => draws.shift() ?? 0,
    });
    await cache.set('a', 1, { ttl: 100 });
    await cache.set('b', 1, { ttl: 100 });
    await cache.set('c', 1, { ttl: 100 });
    const pttl = async (key: string) =>
      (redis as unknown as { pttl(k: string): Promise<number> }).pttl(`jitter:${key}`);
    expect(await pttl('a')).toBeGreaterThan(99_900);
    expect(await pttl('a')).toBeLessThanOrEqual(100_000);
    expect(Math.round((await pttl('b')) / 1000)).toBe(95);
    expect(Math.round((await pttl('c')) / 1000)).toBe(90);
    await cache.close();
    redis.disconnect();
  });
});

describe('CacheAsideManager read options', () => {
  it('checks a frozen options object once, and a mutable one on every call', async () => {
    const redis = new RedisMock({ port: 29_998 });
    const cache = new CacheAsideManager({ redis, keyPrefix: 'opts:' });
    const frozen = Object.freeze({ ttl: 30 });
    await cache.get('a', async () => 1, frozen);
    const mutable: { ttl: number } = { ttl: 30 };
    await cache.get('b', async () => 1, mutable);
    mutable.ttl = -1;
    await expect(cache.get('b', async () => 1, mutable)).rejects.toThrow(RangeError);
    await cache.close();
    redis.disconnect();
  });
});
