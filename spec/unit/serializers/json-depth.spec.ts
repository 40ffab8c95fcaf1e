import 'reflect-metadata';
import RedisMock from 'ioredis-mock';
import {
  CacheAsideManager,
  type CacheError,
  ClassTransformerSerializer,
  DEFAULT_JSON_MAX_DEPTH,
  JsonSerializer,
  type RedisClient,
  type Serializer,
} from '../../../lib';

/** JSON text of arrays nested `depth` deep around `inner` (`[[[1]]]` is depth 3). */
const nested = (depth: number, inner = '1'): string =>
  `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;

/** The same as a value: arrays nested `depth` deep around 1. */
function nestedValue(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

class Row {
  id = 0;
  children: unknown = null;
}

describe('JSON nesting depth (issue #11, finding 10)', () => {
  const json = new JsonSerializer();

  describe('decoding', () => {
    it('refuses a stored value nested deeper than maxDepth (64 by default), as msgpack does', () => {
      expect(DEFAULT_JSON_MAX_DEPTH).toBe(64);
      expect(json.maxDepth).toBe(64);
      expect(json.deserialize(Buffer.from(nested(64)))).toEqual(nestedValue(64));
      expect(() => json.deserialize(Buffer.from(nested(65)))).toThrow(RangeError);
      expect(() => json.deserialize(Buffer.from(nested(65)))).toThrow(
        /^\[cache-aside\] JsonSerializer: .*over maxDepth \(64\); raise maxDepth/,
      );
    });

    it('refuses a 100,000-deep value, plain or marked, instead of handing it to the caller', () => {
      expect(() => json.deserialize(Buffer.from(nested(100_000)))).toThrow(/over maxDepth/);
      expect(() =>
        json.deserialize(Buffer.from(`\u0001${nested(100_000, '"\\u0001NNaN"')}`)),
      ).toThrow(/over maxDepth/);
      const objects = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
      expect(() => json.deserialize(Buffer.from(objects))).toThrow(/over maxDepth/);
    });

    it('does not count brackets inside strings, escaped quotes included', () => {
      const shallow = new JsonSerializer({ maxDepth: 2 });
      const text = JSON.stringify([{ s: '[[[[{{{{ "\\"[[[[' }, ['x']]);
      expect(shallow.deserialize(Buffer.from(text))).toEqual(JSON.parse(text));
      expect(() => shallow.deserialize(Buffer.from(JSON.stringify([[['[']]])))).toThrow(
        /over maxDepth \(2\)/,
      );
      // A string ending in an escaped backslash closes there: the brackets after it count.
      expect(() => shallow.deserialize(Buffer.from('["a\\\\",[[1]]]'))).toThrow(
        /over maxDepth \(2\)/,
      );
    });

    it('counts many siblings as one level, however many brackets the payload holds', () => {
      const shallow = new JsonSerializer({ maxDepth: 2 });
      const wide = JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ i, tags: ['a'] })));
      expect(() => shallow.deserialize(Buffer.from(wide))).toThrow(/over maxDepth \(2\)/);
      const ok = new JsonSerializer({ maxDepth: 3 });
      expect((ok.deserialize(Buffer.from(wide)) as unknown[]).length).toBe(500);
    });

    it('bounds ClassTransformerSerializer the same way', () => {
      const rows = new ClassTransformerSerializer(Row, { maxDepth: 3 });
      expect(rows.maxDepth).toBe(3);
      expect(() => rows.deserialize(Buffer.from(`{"id":1,"children":${nested(3)}}`))).toThrow(
        /ClassTransformerSerializer: .*over maxDepth \(3\)/,
      );
      expect(new ClassTransformerSerializer(Row).maxDepth).toBe(64);
    });
  });

  describe('encoding', () => {
    it('refuses a value nested deeper than maxDepth: what it would not read it does not write', () => {
      expect(json.serialize(nestedValue(64))).toBe(nested(64));
      expect(() => json.serialize(nestedValue(65))).toThrow(RangeError);
      expect(() => json.serialize(nestedValue(65))).toThrow(/over maxDepth \(64\)/);
      expect(() => new JsonSerializer({ maxDepth: 2 }).serialize({ a: { b: {} } })).toThrow(
        /over maxDepth \(2\)/,
      );
    });

    it('refuses a value too deep for JSON.stringify itself with the same message', () => {
      expect(() => json.serialize(nestedValue(100_000))).toThrow(/over maxDepth \(64\)/);
    });
  });

  describe('options', () => {
    it.each([0, -1, 1.5, Number.NaN, '64' as unknown as number])(
      'refuses maxDepth %p',
      (maxDepth) => {
        expect(() => new JsonSerializer({ maxDepth })).toThrow(RangeError);
        expect(() => new JsonSerializer({ maxDepth })).toThrow(/JsonSerializer maxDepth must be/);
      },
    );

    it('accepts a larger bound for data that really is deep', () => {
      const deep = new JsonSerializer({ maxDepth: 1000 });
      expect(deep.deserialize(Buffer.from(deep.serialize(nestedValue(1000))))).toEqual(
        nestedValue(1000),
      );
    });
  });

  describe('through CacheAsideManager', () => {
    let port = 0;
    let redis: RedisClient;
    let cache: CacheAsideManager;
    let errors: CacheError[];

    beforeEach(() => {
      // ioredis-mock shares one keyspace per host:port: a port of its own keeps each test apart.
      redis = new RedisMock({ port: 21_000 + ++port });
      Object.defineProperty(redis, 'status', { value: 'ready', writable: true });
      cache = new CacheAsideManager({ redis, keyPrefix: 'depth:', ttlJitter: 0 });
      errors = [];
      cache.on('error', (e) => errors.push(e));
    });

    afterEach(async () => {
      await cache.close();
      (redis as unknown as { disconnect(): void }).disconnect();
    });

    it('reads a 100,000-deep stored value as a miss, reported, and serves the loader', async () => {
      // Another writer (same codec id) stored what JsonSerializer itself would refuse to write.
      const planted: Serializer = {
        id: 'json',
        serialize: () => nested(100_000),
        deserialize: () => undefined,
      };
      await cache.set('deep', 'ignored', { serializer: planted });
      const value = await cache.get('deep', () => ({ fresh: true }));
      expect(value).toEqual({ fresh: true });
      expect(errors.map((e) => e.code)).toEqual(['DECODE_FAILED']);
      expect(cache.stats().misses).toBe(1);
      expect(() => JSON.stringify(value)).not.toThrow();
    });

    it('returns a too-deep loaded value without storing it, reported as over a limit', async () => {
      const deep = nestedValue(100);
      expect(await cache.get('deep', () => deep)).toBe(deep);
      await cache.settle();
      // A serializer's bound is reported as msgpack's maxDepth is: over a configured limit.
      expect(errors.map((e) => e.code)).toEqual(['VALUE_TOO_LARGE']);
      expect((errors[0].cause as Error).message).toMatch(/over maxDepth \(64\)/);
      expect(await cache.getTtl('deep')).toBe(-2);
    });
  });
});
