import { boundedCodecId } from '../../../lib/serializers/codec-id';
import { requireOptionalPeer } from '../../../lib/serializers/optional-peer';
import {
  assertSerializer,
  codecIdOf,
  MAX_CODEC_ID_LENGTH,
  toBytes,
  type Serializer,
} from '../../../lib/serializers/serializer';
import { integerOption } from '../../../lib/serializers/serializer-options';

/** A user's own serializer, as the README shows: upper-cased text, for the sake of the example. */
class ShoutingSerializer implements Serializer {
  readonly id = 'shout';
  serialize(value: unknown): string {
    return String(value).toUpperCase();
  }
  deserialize(data: Buffer): unknown {
    return data.toString('utf8');
  }
}

describe('Serializer contract helpers', () => {
  describe('assertSerializer()', () => {
    it('accepts any object with serialize and deserialize', () => {
      expect(() => assertSerializer(new ShoutingSerializer())).not.toThrow();
      expect(() => assertSerializer({ serialize: () => '', deserialize: () => 1 })).not.toThrow();
    });

    it.each([null, undefined, 'json', {}, { serialize: () => '' }, { deserialize: () => 1 }])(
      'refuses %p, naming the argument',
      (value) => {
        expect(() => assertSerializer(value, 'options.serializer')).toThrow(TypeError);
        expect(() => assertSerializer(value, 'options.serializer')).toThrow(
          /^\[cache-aside\] options\.serializer must implement/,
        );
      },
    );
  });

  describe('codecIdOf()', () => {
    it('is the id, else the class name', () => {
      expect(codecIdOf(new ShoutingSerializer())).toBe('shout');
      class Plain {
        serialize = (): string => '';
        deserialize = (): unknown => 1;
      }
      expect(codecIdOf(new Plain())).toBe('Plain');
      expect(
        codecIdOf(
          Object.assign(Object.create(null) as object, {
            serialize: () => '',
            deserialize: () => 1,
          }),
        ),
      ).toBe('custom');
    });

    it.each(['', 'x'.repeat(MAX_CODEC_ID_LENGTH + 1), 'naïve', 'tab\there', 42])(
      'refuses the id %p',
      (id) => {
        expect(() =>
          codecIdOf({ id, serialize: () => '', deserialize: () => 1 } as unknown as Serializer),
        ).toThrow(/serializer id must be/);
      },
    );
  });

  describe('boundedCodecId()', () => {
    it('keeps an id the envelope can store', () => {
      expect(boundedCodecId('gzip+json')).toBe('gzip+json');
      expect(boundedCodecId('x'.repeat(64))).toBe('x'.repeat(64));
    });

    it('shortens others to a readable prefix and a stable hash', () => {
      const long = boundedCodecId('x'.repeat(65));
      expect(long).toHaveLength(64);
      expect(long).toBe(boundedCodecId('x'.repeat(65)));
      expect(long).not.toBe(boundedCodecId('x'.repeat(66)));
      expect(boundedCodecId('')).toMatch(/^#[0-9a-f]{12}$/);
      expect(() =>
        codecIdOf({ id: boundedCodecId('ct:Ünïcode'), serialize: () => '', deserialize: () => 1 }),
      ).not.toThrow();
    });
  });

  it('toBytes() encodes strings as UTF-8 and passes Buffers through', () => {
    expect(toBytes('é')).toEqual(Buffer.from([0xc3, 0xa9]));
    const buffer = Buffer.from([1]);
    expect(toBytes(buffer)).toBe(buffer);
  });

  describe('requireOptionalPeer()', () => {
    const notFound = (module: string): Error =>
      Object.assign(new Error(`Cannot find module '${module}'`), { code: 'MODULE_NOT_FOUND' });

    it('returns the module when it loads', () => {
      expect(requireOptionalPeer<{ ok: boolean }>('x', 'Feature', () => ({ ok: true }))).toEqual({
        ok: true,
      });
      expect(
        requireOptionalPeer<typeof import('node:path')>('node:path', 'Feature').sep,
      ).toBeDefined();
    });

    it('names the install command when the package itself is missing', () => {
      const load = (): never => {
        throw notFound('some-peer');
      };
      expect(() => requireOptionalPeer('some-peer', 'Feature', load)).toThrow(
        '[cache-aside] Feature needs the optional peer dependency "some-peer", which is not installed: run npm install some-peer.',
      );
    });

    it('passes on other failures unchanged (a broken install, a missing transitive dependency)', () => {
      const transitive = notFound('its-own-dependency');
      expect(() =>
        requireOptionalPeer('some-peer', 'Feature', () => {
          throw transitive;
        }),
      ).toThrow(transitive);
      const broken = new SyntaxError('Unexpected token');
      expect(() =>
        requireOptionalPeer('some-peer', 'Feature', () => {
          throw broken;
        }),
      ).toThrow(broken);
      expect(() =>
        requireOptionalPeer('some-peer', 'Feature', () => {
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- a loader that throws a non-Error is what this case checks
          throw 'a string';
        }),
      ).toThrow('a string');
    });
  });

  it('integerOption() checks range and type', () => {
    expect(integerOption(undefined, 'n', 5, 0, 9)).toBe(5);
    expect(integerOption(0, 'n', 5, 0, 9)).toBe(0);
    expect(() => integerOption(10, 'n', 5, 0, 9)).toThrow(
      '[cache-aside] n must be an integer from 0 to 9, got 10.',
    );
    expect(() => integerOption(-1, 'n', 5, 0, Number.MAX_SAFE_INTEGER)).toThrow(
      'must be an integer >= 0, got -1',
    );
  });
});
