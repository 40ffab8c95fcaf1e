import fc from 'fast-check';
import { parse as secureParse } from 'secure-json-parse';
import { JsonSerializer } from '../../../lib/serializers/json.serializer';
import {
  configureFastCheck,
  decodeOutcome,
  installDateEquality,
  jsonDomain,
  mutate,
  mutations,
  withoutUndefinedProperties,
} from './support/arbitraries';

configureFastCheck();
installDateEquality();

const json = new JsonSerializer();
const roundTrip = (value: unknown, serializer = json): unknown =>
  serializer.deserialize(Buffer.from(serializer.serialize(value), 'utf8'));

describe('JsonSerializer', () => {
  it("has the id 'json' (entries of the foundation's plain JSON stay readable)", () => {
    expect(json.id).toBe('json');
    expect(json.deserialize(Buffer.from('{"a":[1,"x",null]}'))).toEqual({ a: [1, 'x', null] });
  });

  describe('round trip', () => {
    it('returns every value of its domain as an equal value (property)', () => {
      fc.assert(
        fc.property(jsonDomain, (value) => {
          expect(roundTrip(value)).toStrictEqual(withoutUndefinedProperties(value));
        }),
      );
    });

    it('restores Dates as Dates, nested and at the top level', () => {
      const at = new Date('2024-02-29T12:34:56.789Z');
      const out = roundTrip({ at, list: [at], deep: { at } }) as {
        at: Date;
        list: Date[];
        deep: { at: Date };
      };
      expect(out.at).toBeInstanceOf(Date);
      expect(out.at.getTime()).toBe(at.getTime());
      expect(out.list[0]).toBeInstanceOf(Date);
      expect(out.deep.at).toBeInstanceOf(Date);
      expect(roundTrip(at)).toEqual(at);
    });

    it('keeps the extremes of the Date range and the invalid Date', () => {
      for (const time of [8.64e15, -8.64e15, 0, -1])
        expect((roundTrip(new Date(time)) as Date).getTime()).toBe(time);
      expect(Number.isNaN((roundTrip(new Date(Number.NaN)) as Date).getTime())).toBe(true);
    });

    it('keeps NaN, Infinity, -Infinity and -0, which plain JSON turns into null or 0', () => {
      const out = roundTrip([
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        -0,
        0,
      ]) as number[];
      expect(out).toHaveLength(5);
      expect(Number.isNaN(out[0])).toBe(true);
      expect(out[1]).toBe(Number.POSITIVE_INFINITY);
      expect(out[2]).toBe(Number.NEGATIVE_INFINITY);
      expect(Object.is(out[3], -0)).toBe(true);
      expect(Object.is(out[4], 0)).toBe(true);
    });

    it('keeps undefined array elements (not null) and an undefined whole value', () => {
      expect(roundTrip([1, undefined, 2])).toStrictEqual([1, undefined, 2]);
      expect(roundTrip(undefined)).toBeUndefined();
      expect(roundTrip({ toJSON: () => undefined })).toBeUndefined();
      expect(json.serialize(undefined)).toBe('\u0001"\\u0001U"');
    });

    it('leaves out properties whose value is undefined, as JSON.stringify does', () => {
      expect(roundTrip({ a: 1, b: undefined })).toStrictEqual({ a: 1 });
      expect(roundTrip({ '': undefined })).toStrictEqual({});
      expect(json.serialize({ a: 1, b: undefined })).toBe('{"a":1}');
    });

    it('does not take a string that looks like a tag for one', () => {
      const lookalikes = [
        '\u0001D2020-01-01T00:00:00.000Z',
        '\u0001NNaN',
        '\u0001U',
        '\u0001S',
        '\u0001',
        '\u0001Zz',
      ];
      expect(roundTrip(lookalikes)).toStrictEqual(lookalikes);
      expect(roundTrip({ d: '\u0001D2020-01-01T00:00:00.000Z' })).toStrictEqual({
        d: '\u0001D2020-01-01T00:00:00.000Z',
      });
    });

    it('keeps strings with lone surrogates (escaped by JSON.stringify)', () => {
      expect(roundTrip(['\ud800', 'a\udfffb'])).toStrictEqual(['\ud800', 'a\udfffb']);
    });

    it("uses the Date's own time even when its toJSON was replaced", () => {
      const at = new Date(1000);
      at.toJSON = () => 'not a date';
      expect(roundTrip({ at })).toEqual({ at: new Date(1000) });
    });

    it('follows toJSON of other objects, and restores a Date that a toJSON returns', () => {
      const money = { amount: 5, toJSON: () => '5.00 EUR' };
      expect(roundTrip({ money })).toEqual({ money: '5.00 EUR' });
      expect(roundTrip({ when: { toJSON: () => new Date(7) } })).toEqual({ when: new Date(7) });
      expect(roundTrip({ s: { toJSON: () => '\u0001x' } })).toEqual({ s: '\u0001x' });
    });

    it('unboxes Number, String and Boolean objects, special numbers included', () => {
      const out = roundTrip([
        new Number(Number.NaN),
        new String('\u0001q'),
        new String('s'),
        new Boolean(false),
      ]) as unknown[];
      expect(Number.isNaN(out[0])).toBe(true);
      expect(out.slice(1)).toEqual(['\u0001q', 's', false]);
    });

    it('writes class instances as their own enumerable properties, read back as plain objects', () => {
      class Point {
        constructor(
          readonly x: number,
          readonly y: number,
        ) {}
        norm(): number {
          return Math.hypot(this.x, this.y);
        }
      }
      const out = roundTrip(new Point(3, 4));
      expect(out).toStrictEqual({ x: 3, y: 4 });
      expect(roundTrip(Object.assign(Object.create(null), { a: 1 }))).toEqual({ a: 1 });
    });
  });

  describe('plain payloads and the fast path', () => {
    it('writes plain JSON when the value needs no tags', () => {
      expect(json.serialize({ id: 1, name: 'Ada', tags: ['x'], ok: true, none: null })).toBe(
        '{"id":1,"name":"Ada","tags":["x"],"ok":true,"none":null}',
      );
    });

    it('marks a payload with byte 0x01 only when it holds tags (property)', () => {
      fc.assert(
        fc.property(jsonDomain, (value) => {
          const text = json.serialize(value);
          if (text.charCodeAt(0) !== 1) {
            // A plain payload is exactly what JSON.parse reads back.
            expect(JSON.parse(text)).toStrictEqual(withoutUndefinedProperties(value));
          } else {
            expect(text.slice(1)).toContain('\\u0001');
          }
        }),
      );
    });

    it('returns a string of UTF-8 no larger than maxBytes', () => {
      const small = new JsonSerializer({ maxBytes: 12 });
      expect(small.serialize('1234567890')).toBe('"1234567890"');
      expect(() => small.serialize('12345678901')).toThrow(RangeError);
      // 4 characters, 12 bytes of UTF-8 (+2 quotes): over
      expect(() => small.serialize('€€€€')).toThrow(/maxBytes \(12\)/);
      expect(small.serialize('€€€')).toBe('"€€€"');
    });
  });

  describe('refusals: what JSON cannot represent is not stored', () => {
    it.each([
      ['a BigInt', { n: 1n }, /BigInt/],
      ['a function', { f: () => 1 }, /function \(property "f"\)/],
      ['a top-level function', () => 1, /a function;/],
      ['a symbol', [Symbol('s')], /symbol/],
      ['a Map', { m: new Map() }, /a Map/],
      ['a Set', new Set([1]), /a Set/],
      ['a WeakMap', new WeakMap(), /a WeakMap/],
      ['a Buffer (through its toJSON)', { b: Buffer.from('x') }, /binary data/],
      ['a typed array', new Float32Array(2), /binary data/],
      ['an ArrayBuffer', new ArrayBuffer(4), /binary data/],
      ['a Promise', Promise.resolve(1), /Promise/],
      ['a RegExp', /x/g, /RegExp/],
      ['an Error', new Error('boom'), /an Error/],
    ])('refuses %s with a TypeError naming it', (_name, value, message) => {
      expect(() => json.serialize(value)).toThrow(TypeError);
      expect(() => json.serialize(value)).toThrow(message);
      expect(() => json.serialize(value)).toThrow(/^\[cache-aside\] JsonSerializer cannot encode/);
    });

    it('refuses a circular structure', () => {
      const loop: Record<string, unknown> = { a: 1 };
      loop.self = loop;
      expect(() => json.serialize(loop)).toThrow(/circular structure/);
    });

    it('wraps other failures of JSON.stringify (a throwing toJSON)', () => {
      const bad = {
        toJSON() {
          throw new Error('nope');
        },
      };
      expect(() => json.serialize(bad)).toThrow(/cannot encode this value \(nope\)/);
    });

    it('refuses an own "__proto__" key and a constructor.prototype, which the decoder would refuse', () => {
      expect(() => json.serialize(JSON.parse('{"__proto__":{"x":1}}'))).toThrow(/"__proto__"/);
      expect(() => json.serialize({ constructor: { prototype: { x: 1 } } })).toThrow(TypeError);
      expect(() => json.serialize([new Date(0), JSON.parse('{"__proto__":1}')])).toThrow(TypeError);
    });

    it('reads keys that merely resemble them (checked by secure-json-parse, then accepted)', () => {
      const payload = Buffer.from('{"conductor":{"prototype":1},"is_proto":true,"name":"\\u00e9"}');
      expect(json.deserialize(payload)).toEqual({
        conductor: { prototype: 1 },
        is_proto: true,
        name: 'é',
      });
    });

    it('stores a "constructor" key that is not an object with a prototype', () => {
      expect(roundTrip({ constructor: 'Ferrari', team: { constructor: { name: 'x' } } })).toEqual({
        constructor: 'Ferrari',
        team: { constructor: { name: 'x' } },
      });
    });
  });

  describe('decoding hostile or corrupt bytes', () => {
    it.each([
      ['__proto__', '{"__proto__":{"polluted":true}}'],
      ['__proto__ nested in an array', '{"a":[{"b":{"__proto__":{"polluted":true}}}]}'],
      ['an escaped __proto__', '{"\\u005f_proto__":{"polluted":true}}'],
      ['constructor.prototype', '{"constructor":{"prototype":{"polluted":true}}}'],
      [
        '__proto__ in a tagged payload',
        '\u0001{"d":"\\u0001D1970-01-01T00:00:00.000Z","__proto__":{"polluted":true}}',
      ],
    ])('refuses a payload with %s, and no prototype is touched', (_name, payload) => {
      expect(() => json.deserialize(Buffer.from(payload))).toThrow(SyntaxError);
      expect(() => json.deserialize(Buffer.from(payload))).toThrow(/forbidden prototype property/);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    });

    it('refuses exactly what secure-json-parse refuses, marked or not (differential property)', () => {
      // keys as JSON text, an escaped spelling of __proto__ among them
      const key = fc.constantFrom(
        '"__proto__"',
        '"constructor"',
        '"prototype"',
        '"a"',
        '"\\u005f_proto__"',
        '"\\u0063onstructor"',
      );
      const text: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
        node: fc.oneof(
          { depthSize: 'small', withCrossShrink: true },
          fc.constantFrom('1', 'null', '"s"', '"\\u0001NNaN"'),
          fc.array(tie('node'), { maxLength: 3 }).map((items) => `[${items.join(',')}]`),
          fc
            .array(fc.tuple(key, tie('node')), { maxLength: 3 })
            .map((entries) => `{${entries.map(([k, v]) => `${k}:${v}`).join(',')}}`),
        ),
      })).node;
      fc.assert(
        fc.property(text, (json) => {
          const refusedBySecureJsonParse =
            decodeOutcome(() =>
              secureParse(json, undefined, { protoAction: 'error', constructorAction: 'error' }),
            ) !== 'value';
          const marked = decodeOutcome(() =>
            new JsonSerializer().deserialize(Buffer.from(`\u0001${json}`)),
          );
          const plain = decodeOutcome(() => new JsonSerializer().deserialize(Buffer.from(json)));
          expect(plain === 'refused').toBe(refusedBySecureJsonParse);
          expect(marked === 'refused').toBe(refusedBySecureJsonParse);
        }),
      );
    });

    it.each([
      ['an empty payload', ''],
      ['truncated JSON', '{"a":'],
      ['a marked payload that is not JSON', '\u0001{'],
      ['an unknown tag', '\u0001["\\u0001Q"]'],
      ['a tag with only the mark', '\u0001"\\u0001"'],
      ['a Date tag without a date', '\u0001"\\u0001Dyesterday"'],
      ['a number tag of another number', '\u0001"\\u0001N42"'],
      ['an undefined tag with more', '\u0001"\\u0001Ux"'],
      ['a tag inside an object', '\u0001{"a":{"b":"\\u0001N1"}}'],
    ])('refuses %s with a SyntaxError', (_name, payload) => {
      expect(() => json.deserialize(Buffer.from(payload))).toThrow(SyntaxError);
      expect(() => json.deserialize(Buffer.from(payload))).toThrow(
        /^\[cache-aside\] JsonSerializer cannot decode/,
      );
    });

    it('reads a tag inside an object and deep arrays of a marked payload', () => {
      const payload = '\u0001{"a":{"b":["\\u0001NNaN",{"c":"\\u0001U"}]},"s":"plain"}';
      expect(json.deserialize(Buffer.from(payload))).toStrictEqual({
        a: { b: [Number.NaN, { c: undefined }] },
        s: 'plain',
      });
    });

    it('reads a marked payload whose value needs no tag (written by hand or another version)', () => {
      expect(json.deserialize(Buffer.from('\u0001"plain"'))).toBe('plain');
      expect(json.deserialize(Buffer.from('\u000142'))).toBe(42);
      expect(json.deserialize(Buffer.from('\u0001null'))).toBeNull();
    });

    it('revives deeply nested marked payloads without recursion (with maxDepth raised)', () => {
      const depth = 50_000;
      const payload = `\u0001${'['.repeat(depth)}"\\u0001NNaN"${']'.repeat(depth)}`;
      let node = new JsonSerializer({ maxDepth: depth }).deserialize(Buffer.from(payload));
      for (let i = 0; i < depth; i++) node = (node as unknown[])[0];
      expect(Number.isNaN(node)).toBe(true);
    });

    it('refuses a payload over maxBytes before parsing it', () => {
      const small = new JsonSerializer({ maxBytes: 8 });
      expect(() => small.deserialize(Buffer.from('"123456789"'))).toThrow(RangeError);
      expect(() => small.deserialize(Buffer.from('"123456789"'))).toThrow(
        /payload is 11 bytes, over maxBytes \(8\)/,
      );
      expect(small.deserialize(Buffer.from('"123456"'))).toBe('123456');
    });

    it('is total: random bytes give a value or its own refusal (property)', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 256 }), fc.boolean(), (bytes, marked) => {
          const data = Buffer.from(marked ? [1, ...bytes] : bytes);
          expect(decodeOutcome(() => json.deserialize(data))).not.toBeInstanceOf(Error);
        }),
      );
    });

    it('is total: mutated payloads give a value or its own refusal (property)', () => {
      fc.assert(
        fc.property(jsonDomain, mutations, (value, edits) => {
          const data = mutate(Buffer.from(json.serialize(value), 'utf8'), edits);
          expect(decodeOutcome(() => json.deserialize(data))).not.toBeInstanceOf(Error);
        }),
      );
    });
  });

  describe('options', () => {
    it.each([0, -1, 1.5, Number.NaN, '8' as unknown as number])(
      'refuses maxBytes %p',
      (maxBytes) => {
        expect(() => new JsonSerializer({ maxBytes })).toThrow(RangeError);
      },
    );

    it('defaults maxBytes to 8 MiB', () => {
      expect(json.maxBytes).toBe(8 * 1024 * 1024);
    });
  });
});
