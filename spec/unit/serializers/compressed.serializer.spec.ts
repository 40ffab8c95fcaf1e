import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import {
  CompressedSerializer,
  type CompressionAlgorithm,
} from '../../../lib/serializers/compressed.serializer';
import { JsonSerializer } from '../../../lib/serializers/json.serializer';
import { MsgpackSerializer } from '../../../lib/serializers/msgpack.serializer';
import type { Serializer } from '../../../lib/serializers/serializer';
import {
  configureFastCheck,
  decodeOutcome,
  installDateEquality,
  installTypedArrayEquality,
  jsonDomain,
  msgpackDomain,
  mutate,
  mutations,
  withoutUndefinedProperties,
} from './support/arbitraries';

configureFastCheck();
installDateEquality();
installTypedArrayEquality();

const algorithms: CompressionAlgorithm[] = ['gzip', 'brotli'];
const compressible = {
  rows: Array.from({ length: 100 }, (_, i) => ({ id: i, name: `user ${i}`, city: 'Springfield' })),
};

describe('CompressedSerializer', () => {
  it('is named after the algorithm and the inner serializer', () => {
    expect(new CompressedSerializer(new JsonSerializer()).id).toBe('gzip+json');
    expect(new CompressedSerializer(new MsgpackSerializer(), { algorithm: 'brotli' }).id).toBe(
      'brotli+msgpack',
    );
    expect(
      new CompressedSerializer({ id: 'x'.repeat(64), serialize: () => '', deserialize: () => 1 })
        .id,
    ).toHaveLength(64);
  });

  describe.each(algorithms)('with %s', (algorithm) => {
    const json = new CompressedSerializer(new JsonSerializer(), { algorithm });
    const eager = new CompressedSerializer(new MsgpackSerializer(), { algorithm, threshold: 0 });
    const method = algorithm === 'gzip' ? 1 : 2;

    it('round-trips every JSON value, compressed or not (property)', () => {
      fc.assert(
        fc.property(jsonDomain, fc.boolean(), (value, big) => {
          const wrapped = big ? { value, padding: 'p'.repeat(2000) } : value;
          expect(json.deserialize(json.serialize(wrapped))).toStrictEqual(
            withoutUndefinedProperties(wrapped),
          );
        }),
      );
    });

    it('round-trips every msgpack value, always compressing (property)', () => {
      fc.assert(
        fc.property(msgpackDomain, (value) => {
          expect(eager.deserialize(eager.serialize(value))).toStrictEqual(value);
        }),
      );
    });

    it('compresses at or above the threshold, and marks it in the first byte', () => {
      const payload = json.serialize(compressible);
      expect(payload[0]).toBe(method);
      expect(payload.length).toBeLessThan(
        Buffer.byteLength(new JsonSerializer().serialize(compressible)) / 4,
      );
      const atThreshold = new CompressedSerializer(new JsonSerializer(), {
        algorithm,
        threshold: 1002,
      });
      expect(atThreshold.serialize('a'.repeat(1000))[0]).toBe(method); // 1002 bytes with the quotes
      expect(atThreshold.serialize('a'.repeat(999))[0]).toBe(0);
    });

    it('stores small payloads as they are, after byte 0', () => {
      const payload = json.serialize({ id: 1 });
      expect(payload[0]).toBe(0);
      expect(payload.subarray(1).toString()).toBe('{"id":1}');
    });

    it('stores incompressible payloads as they are, even above the threshold', () => {
      const noise = randomBytes(4096);
      const payload = new CompressedSerializer(new MsgpackSerializer(), { algorithm }).serialize(
        noise,
      );
      expect(payload[0]).toBe(0);
    });

    it('refuses a payload of the other algorithm', () => {
      const other = new CompressedSerializer(new JsonSerializer(), {
        algorithm: algorithm === 'gzip' ? 'brotli' : 'gzip',
      });
      expect(() => json.deserialize(other.serialize(compressible))).toThrow(SyntaxError);
      expect(() => json.deserialize(other.serialize(compressible))).toThrow(/method byte is/);
    });

    it('refuses a payload that does not inflate', () => {
      expect(() => json.deserialize(Buffer.from([method, 1, 2, 3]))).toThrow(SyntaxError);
      expect(() => json.deserialize(Buffer.from([method, 1, 2, 3]))).toThrow(
        new RegExp(`${algorithm} could not inflate it`),
      );
      expect(() => json.deserialize(Buffer.from([method]))).toThrow(SyntaxError);
    });

    it('refuses to inflate past maxInflatedBytes, and to write what it could not inflate', () => {
      const small = new CompressedSerializer(new JsonSerializer(), {
        algorithm,
        maxInflatedBytes: 1000,
      });
      const packed = Buffer.concat([
        Buffer.of(method),
        algorithm === 'gzip'
          ? gzipSync(Buffer.alloc(5000, 0x20))
          : brotliCompressSync(Buffer.alloc(5000, 0x20)),
      ]);
      expect(() => small.deserialize(packed)).toThrow(RangeError);
      expect(() => small.deserialize(packed)).toThrow(
        /inflates past the bound, over maxInflatedBytes \(1000\)/,
      );
      expect(() => small.serialize('x'.repeat(1000))).toThrow(
        /encodes to 1002 bytes before compression, over maxInflatedBytes/,
      );
      expect(() => small.deserialize(Buffer.concat([Buffer.of(0), Buffer.alloc(1001)]))).toThrow(
        /payload is 1001 bytes, over maxInflatedBytes/,
      );
    });

    it('is total: random and mutated bytes give a value or its own refusal (property)', () => {
      fc.assert(
        fc.property(
          jsonDomain,
          mutations,
          fc.uint8Array({ maxLength: 128 }),
          (value, edits, noise) => {
            const data = mutate(json.serialize({ value, padding: 'p'.repeat(1500) }), edits);
            expect(decodeOutcome(() => json.deserialize(data))).not.toBeInstanceOf(Error);
            expect(
              decodeOutcome(() => json.deserialize(Buffer.from([method, ...noise]))),
            ).not.toBeInstanceOf(Error);
            expect(decodeOutcome(() => eager.deserialize(Buffer.from(noise)))).not.toBeInstanceOf(
              Error,
            );
          },
        ),
      );
    });
  });

  it('refuses an empty payload and an unknown method byte', () => {
    const json = new CompressedSerializer(new JsonSerializer());
    expect(() => json.deserialize(Buffer.alloc(0))).toThrow(/payload is empty/);
    expect(() => json.deserialize(Buffer.from([9, 1]))).toThrow(
      /method byte is 9, this serializer reads 1 \(gzip\) or 0 \(stored\)/,
    );
  });

  it('accepts Buffer or string from the inner serializer, and passes its errors on', () => {
    const inner: Serializer = {
      id: 'echo',
      serialize: (value) => (typeof value === 'string' ? value : Buffer.from(value as Uint8Array)),
      deserialize: (data) => {
        if (data.length === 0) throw new SyntaxError('[cache-aside] echo: empty');
        return data.toString('latin1');
      },
    };
    const echo = new CompressedSerializer(inner, { threshold: 4 });
    expect(echo.deserialize(echo.serialize('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'))).toBe(
      'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    );
    expect(echo.deserialize(echo.serialize(Buffer.from('bbbbbbbbbbbbbbbbbbbbbbbbbb')))).toBe(
      'bbbbbbbbbbbbbbbbbbbbbbbbbb',
    );
    expect(echo.deserialize(echo.serialize('é'))).toBe(Buffer.from('é').toString('latin1'));
    expect(() => echo.deserialize(Buffer.of(0))).toThrow('[cache-aside] echo: empty');
  });

  describe('options', () => {
    const json = new JsonSerializer();

    it('has documented defaults', () => {
      const compressed = new CompressedSerializer(json);
      expect(compressed).toMatchObject({
        threshold: 1024,
        algorithm: 'gzip',
        maxInflatedBytes: 8 * 1024 * 1024,
        level: 6,
      });
      expect(new CompressedSerializer(json, { algorithm: 'brotli' }).level).toBe(4);
    });

    it.each([
      [{ threshold: -1 }, /threshold must be an integer >= 0/],
      [{ threshold: 1.5 }, /threshold/],
      [{ maxInflatedBytes: 0 }, /maxInflatedBytes must be an integer from 1/],
      [{ maxInflatedBytes: 2 ** 53 }, /maxInflatedBytes/],
      [{ level: 0 }, /level \(gzip\) must be an integer from 1 to 9/],
      [
        { level: 12, algorithm: 'brotli' as const },
        /level \(brotli\) must be an integer from 0 to 11/,
      ],
      [
        { algorithm: 'zstd' as CompressionAlgorithm },
        /algorithm must be 'gzip' or 'brotli', got zstd/,
      ],
    ])('refuses %p', (options, message) => {
      expect(() => new CompressedSerializer(json, options)).toThrow(message);
    });

    it('needs an inner serializer', () => {
      expect(() => new CompressedSerializer(undefined as unknown as Serializer)).toThrow(
        /CompressedSerializer inner serializer must implement/,
      );
    });

    it('uses the level it is given (the format does not change)', () => {
      const fast = new CompressedSerializer(json, { level: 1 });
      const best = new CompressedSerializer(json, { level: 9 });
      expect(fast.id).toBe(best.id);
      expect(best.deserialize(fast.serialize(compressible))).toEqual(compressible);
    });
  });
});
