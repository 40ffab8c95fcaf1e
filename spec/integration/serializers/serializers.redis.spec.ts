import 'reflect-metadata';
import { Type } from 'class-transformer';
import type Redis from 'ioredis';
import { gzipSync } from 'node:zlib';
import {
  CacheAsideManager,
  ClassTransformerSerializer,
  CompressedSerializer,
  JsonSerializer,
  MsgpackSerializer,
  type CacheError,
  type Serializer,
} from '../../../lib';
import { encodeCodecId, encodeEntry, EntryKind } from '../../../lib/entry/entry-format';
import { isExpectedWarning, newTestClient, ready, uniquePrefix } from '../../support/test-redis';

class Address {
  city!: string;
  shout(): string {
    return this.city.toUpperCase();
  }
}

class User {
  id!: number;
  name!: string;
  createdAt!: Date;
  @Type(() => Address)
  address!: Address;
  greet(): string {
    return `Hello, ${this.name}`;
  }
}

const aUser = (id: number): User =>
  Object.assign(new User(), {
    id,
    name: `user ${id}`,
    createdAt: new Date(Date.UTC(2024, 0, id)),
    address: Object.assign(new Address(), { city: 'Lyon' }),
  });

describe('Serializers through CacheAsideManager and a real redis-server', () => {
  let redis: Redis;
  let prefix: string;
  const errors: CacheError[] = [];
  const managers: CacheAsideManager[] = [];

  const manager = (serializer?: Serializer): CacheAsideManager => {
    const cache = new CacheAsideManager({
      redis,
      keyPrefix: prefix,
      defaultTtl: 60,
      ...(serializer ? { serializer } : {}),
    });
    cache.on('error', (error) => {
      if (!isExpectedWarning(error)) errors.push(error);
    });
    managers.push(cache);
    return cache;
  };

  /** A miss that stores, then a read that must be a hit: returns what the hit returned. */
  async function storeThenHit(
    cache: CacheAsideManager,
    key: string,
    value: unknown,
    opts: { serializer?: Serializer } = {},
  ): Promise<unknown> {
    const loader = jest.fn(async () => value);
    await cache.get(key, loader, opts);
    await cache.settle();
    const hit = await cache.get(key, loader, opts);
    expect(loader).toHaveBeenCalledTimes(1);
    return hit;
  }

  beforeAll(async () => {
    redis = newTestClient();
    await ready(redis);
  });

  beforeEach(() => {
    prefix = uniquePrefix('serializers');
    errors.length = 0;
  });

  afterEach(async () => {
    await Promise.all(managers.splice(0).map((cache) => cache.close()));
  });

  afterAll(() => redis.quit());

  it('with the default JsonSerializer, a Date comes back as a Date on a hit', async () => {
    const hit = (await storeThenHit(manager(), 'json', {
      at: new Date(5),
      n: Number.NaN,
      list: [undefined, 1],
    })) as {
      at: Date;
      n: number;
      list: unknown[];
    };
    expect(hit.at).toEqual(new Date(5));
    expect(hit.n).toBeNaN();
    expect(hit.list).toStrictEqual([undefined, 1]);
    expect(errors).toEqual([]);
  });

  it('with MsgpackSerializer, Map, Set, BigInt and Buffer come back as themselves', async () => {
    const value = {
      map: new Map([[1, 'a']]),
      set: new Set(['x']),
      big: 2n ** 80n,
      bytes: Buffer.from([0, 255]),
      at: new Date(9),
    };
    expect(await storeThenHit(manager(new MsgpackSerializer()), 'msgpack', value)).toStrictEqual(
      value,
    );
    expect(errors).toEqual([]);
  });

  it.each(['gzip', 'brotli'] as const)(
    'with CompressedSerializer (%s), a large value is stored compressed and read back',
    async (algorithm) => {
      const rows = Array.from({ length: 500 }, (_, i) => ({
        id: i,
        name: `row ${i}`,
        at: new Date(i),
      }));
      const cache = manager(new CompressedSerializer(new JsonSerializer(), { algorithm }));
      expect(await storeThenHit(cache, 'rows', rows)).toEqual(rows);
      const stored = await redis.getBuffer(`${prefix}rows`);
      expect(stored).not.toBeNull();
      expect(stored!.length).toBeLessThan(
        Buffer.byteLength(new JsonSerializer().serialize(rows)) / 4,
      );
      expect(errors).toEqual([]);
    },
  );

  it('with a per-call ClassTransformerSerializer, instances (and arrays of them) come back on a hit', async () => {
    const cache = manager();
    const serializer = new ClassTransformerSerializer(User);
    const one = (await storeThenHit(cache, 'user:1', aUser(1), { serializer })) as User;
    expect(one).toBeInstanceOf(User);
    expect(one.greet()).toBe('Hello, user 1');
    expect(one.createdAt).toEqual(new Date(Date.UTC(2024, 0, 1)));
    expect(one.address.shout()).toBe('LYON');
    const many = (await storeThenHit(cache, 'users', [aUser(2), aUser(3)], {
      serializer,
    })) as User[];
    expect(many.map((u) => u.greet())).toEqual(['Hello, user 2', 'Hello, user 3']);
    expect(many[1]).toBeInstanceOf(User);
    expect(errors).toEqual([]);
  });

  it('an entry written under another serializer is a miss (never garbage), and is replaced', async () => {
    const cache = manager();
    await cache.set('switch', { a: 1 });
    const loader = jest.fn(async () => ({ a: 2 }));
    const msgpack = new MsgpackSerializer();
    expect(await cache.get('switch', loader, { serializer: msgpack })).toEqual({ a: 2 });
    await cache.settle();
    expect(await cache.get('switch', loader, { serializer: msgpack })).toEqual({ a: 2 });
    expect(loader).toHaveBeenCalledTimes(1);
    expect(errors.map((e) => e.code)).toEqual(['DECODE_FAILED']);
    expect(errors[0].message).toMatch(/written by codec "json", this read expects "msgpack"/);
  });

  it('a tampered entry with __proto__ is a miss with DECODE_FAILED, and is replaced', async () => {
    const cache = manager();
    const tampered = encodeEntry({
      kind: EntryKind.Value,
      codecId: encodeCodecId('json'),
      writtenAt: Date.now(),
      freshUntil: Date.now() + 60_000,
      payload: '{"__proto__":{"isAdmin":true}}',
    });
    await redis.set(`${prefix}profile`, tampered, 'PX', 60_000);
    const loader = jest.fn(async () => ({ name: 'fresh' }));
    const value = (await cache.get('profile', loader)) as { isAdmin?: boolean };
    expect(value).toEqual({ name: 'fresh' });
    expect(value.isAdmin).toBeUndefined();
    expect(errors.map((e) => e.code)).toEqual(['DECODE_FAILED']);
    expect((errors[0].cause as Error).message).toMatch(/forbidden prototype property/);
    await cache.settle();
    expect(await cache.get('profile', loader)).toEqual({ name: 'fresh' });
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('a gzip bomb at a key is a miss with DECODE_FAILED, within the inflate bound', async () => {
    const compressed = new CompressedSerializer(new JsonSerializer());
    const cache = manager(compressed);
    const bomb = Buffer.concat([
      Buffer.of(1),
      gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 }),
    ]);
    const entry = encodeEntry({
      kind: EntryKind.Value,
      codecId: encodeCodecId(compressed.id),
      writtenAt: Date.now(),
      freshUntil: Date.now() + 60_000,
      payload: bomb,
    });
    await redis.set(`${prefix}bomb`, entry, 'PX', 60_000);
    expect(await cache.get('bomb', async () => 'loaded')).toBe('loaded');
    // Exactly one decode failure (a busy machine may add a Redis timeout on the replacing write).
    const decodeFailures = errors.filter((e) => e.code === 'DECODE_FAILED');
    expect(decodeFailures).toHaveLength(1);
    expect(decodeFailures[0].cause).toMatchObject({ name: 'RangeError' }); // a redacted copy
    expect((decodeFailures[0].cause as Error).message).toMatch(/maxInflatedBytes/);
  });

  it('a value the serializer refuses is returned, not stored, and reported as ENCODE_FAILED', async () => {
    const cache = manager();
    const loader = jest.fn(async () => ({ id: 1n }));
    expect(await cache.get('bigint', loader)).toEqual({ id: 1n });
    await cache.settle();
    expect(await redis.exists(`${prefix}bigint`)).toBe(0);
    expect(errors.map((e) => e.code)).toEqual(['ENCODE_FAILED']);
    expect(errors[0].cause).toMatchObject({ name: 'TypeError' }); // a redacted copy
    expect((errors[0].cause as Error).message).toMatch(/JsonSerializer cannot encode a BigInt/);
  });

  it('a 64 MiB value is returned, not stored: refused by the serializer (VALUE_TOO_LARGE, over its maxBytes)', async () => {
    const cache = manager();
    const huge = 'x'.repeat(64 * 1024 * 1024);
    expect(await cache.get('huge', async () => huge)).toBe(huge);
    await cache.settle();
    expect(await redis.exists(`${prefix}huge`)).toBe(0);
    expect(errors.map((e) => e.code)).toEqual(['VALUE_TOO_LARGE']);
    expect((errors[0].cause as Error).message).toMatch(/over maxBytes \(8388608\)/);
  });

  it('a 2 MiB value is returned, not stored: within the serializer bound, over maxValueBytes (VALUE_TOO_LARGE)', async () => {
    const cache = manager();
    const big = 'y'.repeat(2 * 1024 * 1024);
    expect(await cache.get('big', async () => big)).toBe(big);
    await cache.settle();
    expect(await redis.exists(`${prefix}big`)).toBe(0);
    expect(errors.map((e) => e.code)).toEqual(['VALUE_TOO_LARGE']);
  });
});
