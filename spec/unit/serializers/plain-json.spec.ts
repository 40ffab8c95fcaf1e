import fc from 'fast-check';
import { encodeJson, encodeTaggedJson, type JsonLimits } from '../../../lib/serializers/json-codec';
import { isPlainJson } from '../../../lib/serializers/plain-json';
import { configureFastCheck, jsonDomain } from './support/arbitraries';

configureFastCheck();

const LIMITS: JsonLimits = { maxBytes: 1 << 20, maxDepth: 64 };

/** The text an encoder writes, or the error it throws (class and message). */
function outcome(encode: () => string): string {
  try {
    return `text ${encode()}`;
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

describe('isPlainJson: when JSON.stringify alone writes what the tagging encoder writes', () => {
  it('vouches for plain records, nested plain containers and objects without a prototype', () => {
    const record = { id: 7, name: 'Ada', tags: ['a', 'b'], address: { city: 'London' }, ok: true };
    expect(isPlainJson(record, 64)).toBe(true);
    expect(isPlainJson([1, 'x', null, false, { a: [] }], 64)).toBe(true);
    expect(isPlainJson(Object.assign(Object.create(null) as object, { a: 1 }), 64)).toBe(true);
    // An undefined property is left out by both.
    expect(isPlainJson({ a: undefined, b: 1 }, 64)).toBe(true);
    expect(isPlainJson('text', 64)).toBe(true);
  });

  it.each([
    ['a Date', { at: new Date(0) }],
    ['NaN', { n: NaN }],
    ['Infinity', [Infinity]],
    ['-0', { n: -0 }],
    ['a string starting with the tag mark', { s: '\u0001D1' }],
    ['undefined in an array', [1, undefined]],
    ['a hole in an array', [1, , 3]], // eslint-disable-line no-sparse-arrays -- the hole is the point
    [
      'a class instance',
      {
        user: new (class User {
          name = 'x';
        })(),
      },
    ],
    ['an own toJSON', { v: { toJSON: () => 'x' } }],
    ['a non-enumerable toJSON', { v: Object.defineProperty({}, 'toJSON', { value: () => 1 }) }],
    ['a Map', { m: new Map() }],
    ['a Buffer', { b: Buffer.from('x') }],
    ['a BigInt', { n: 1n }],
    ['a function', { f: () => 1 }],
    ['a symbol', { s: Symbol('x') }],
    ['a String object', { s: new String('x') }],
    ['undefined itself', undefined],
    ['a key "constructor"', { constructor: { prototype: 1 } }],
    ['a key "__proto__"', JSON.parse('{"__proto__":{"a":1}}') as unknown],
  ])('leaves %s to the tagging encoder', (_what, value) => {
    expect(isPlainJson(value, 64)).toBe(false);
  });

  it('counts containers as the depth bound does: [[1]] is 2 deep', () => {
    expect(isPlainJson([[1]], 2)).toBe(true);
    expect(isPlainJson([[1]], 1)).toBe(false);
    expect(isPlainJson({ a: { b: {} } }, 3)).toBe(true);
    expect(isPlainJson({ a: { b: {} } }, 2)).toBe(false);
  });

  it('gives up, instead of throwing, on a circular value or a getter that throws', () => {
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    expect(isPlainJson(circular, 64)).toBe(false);
    const getter = Object.defineProperty({}, 'x', {
      enumerable: true,
      get: () => {
        throw new Error('no');
      },
    });
    expect(isPlainJson(getter, 64)).toBe(false);
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(isPlainJson(deep, 1_000_000)).toBe(false);
  });

  it('the encoder writes, and refuses, exactly what the tagging encoder does (differential property)', () => {
    const values = fc.oneof(
      jsonDomain,
      fc.anything({
        withBigInt: true,
        withDate: true,
        withMap: true,
        withNullPrototype: true,
        withObjectString: true,
        withSparseArray: true,
        withTypedArray: true,
        withBoxedValues: true,
      }),
    );
    fc.assert(
      fc.property(values, fc.integer({ min: 1, max: 6 }), (value, maxDepth) => {
        const limits = { ...LIMITS, maxDepth };
        expect(outcome(() => encodeJson(value, limits, 'json'))).toBe(
          outcome(() => encodeTaggedJson(value, limits, 'json')),
        );
      }),
    );
  });

  it('writes only own keys, as JSON does, even with an enumerable key on Object.prototype', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.polluted = 'inherited';
    try {
      const value = { a: 1, nested: { b: [1, 2] } };
      expect(encodeJson(value, LIMITS, 'json')).toBe('{"a":1,"nested":{"b":[1,2]}}');
      expect(encodeJson(value, LIMITS, 'json')).toBe(encodeTaggedJson(value, LIMITS, 'json'));
    } finally {
      delete proto.polluted;
    }
  });

  it('leaves a Proxy to the tagging encoder (its traps could answer the walk one way, JSON another)', () => {
    expect(isPlainJson(new Proxy({ a: 1 }, {}), 64)).toBe(false);
    expect(isPlainJson({ list: new Proxy([1, 2], {}) }, 64)).toBe(false);
  });

  it('falls back to the tagging encoder when JSON.stringify throws after the walk vouched', () => {
    // A getter that answers the walk with a number and then with a BigInt.
    let reads = 0;
    const changing = Object.defineProperty({}, 'n', {
      enumerable: true,
      get: () => (++reads === 1 ? 1 : 1n),
    });
    expect(() => encodeJson(changing, LIMITS, 'json')).toThrow(/^\[cache-aside\].*a BigInt/);
    // A value deeper than V8's JSON.stringify can recurse, under a very large maxDepth: the
    // depth bound's error, not a raw stack overflow.
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    expect(() => encodeJson(deep, { maxBytes: 1 << 24, maxDepth: 1_000_000 }, 'json')).toThrow(
      /nests containers more than/,
    );
  });

  it('keeps the bounds on the plain path: maxBytes and prototype keys', () => {
    expect(() =>
      encodeJson({ s: 'x'.repeat(100) }, { maxBytes: 50, maxDepth: 64 }, 'json'),
    ).toThrow(/maxBytes \(50\)/);
    expect(() => encodeJson(JSON.parse('{"__proto__":{"a":1}}'), LIMITS, 'json')).toThrow(
      /"__proto__"/,
    );
  });
});
