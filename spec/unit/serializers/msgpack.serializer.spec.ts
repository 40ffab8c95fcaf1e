import fc from 'fast-check';
import { Packr } from 'msgpackr';
import {
  MsgpackStructureError,
  type MsgpackLimits,
} from '../../../lib/errors/msgpack-structure.error';
import { checkMsgpackStructure } from '../../../lib/serializers/msgpack-structure';
import { MsgpackSerializer } from '../../../lib/serializers/msgpack.serializer';
import {
  configureFastCheck,
  decodeOutcome,
  installDateEquality,
  installTypedArrayEquality,
  msgpackDomain,
  outerRealm,
  mutate,
  mutations,
  recordLists,
} from './support/arbitraries';

configureFastCheck();
installDateEquality();
installTypedArrayEquality();

const msgpack = new MsgpackSerializer();
const roundTrip = (value: unknown, serializer = msgpack): unknown =>
  serializer.deserialize(serializer.serialize(value));
const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const generous: MsgpackLimits = { maxDepth: 100, maxItems: 1e9, maxContainers: 1e9 };

describe('MsgpackSerializer', () => {
  it("has the id 'msgpack' whatever its limits (they do not change the bytes)", () => {
    expect(msgpack.id).toBe('msgpack');
    expect(
      new MsgpackSerializer({ maxDepth: 3, maxItems: 10, maxContainers: 2, maxBytes: 100 }).id,
    ).toBe('msgpack');
  });

  describe('round trip', () => {
    it('returns every value of its domain as an equal value (property)', () => {
      fc.assert(
        fc.property(msgpackDomain, (value) => {
          expect(roundTrip(value)).toStrictEqual(value);
        }),
      );
    });

    it('returns lists of records as equal lists (property)', () => {
      fc.assert(
        fc.property(recordLists, (list) => {
          expect(roundTrip(list)).toStrictEqual(list);
        }),
      );
    });

    it('keeps Date, Buffer, Uint8Array, Map, Set, BigInt and undefined properties', () => {
      const value = {
        at: new Date('2024-02-29T12:34:56.789Z'),
        invalid: new Date(Number.NaN),
        before1970: new Date(-1),
        buffer: Buffer.from('bytes'),
        bytes: new Uint8Array([1, 2, 3]),
        floats: new (outerRealm<Float64ArrayConstructor>('Float64Array'))([1.5, Number.NaN]),
        map: new Map<unknown, unknown>([
          [1, 'number key'],
          ['1', 'string key'],
          [{ composite: true }, [1, 2]],
        ]),
        set: new Set([1, '1', null]),
        big: 2n ** 100n,
        negative: -(2n ** 70n),
        int64: 5n,
        missing: undefined,
        special: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
        arrayBuffer: new Uint8Array([7, 8]).buffer,
      };
      const out = roundTrip(value) as typeof value;
      expect(out).toStrictEqual(value);
      expect(out.buffer).toBeInstanceOf(Buffer);
      expect(out.bytes).toBeInstanceOf(Uint8Array);
      expect(Buffer.isBuffer(out.bytes)).toBe(false);
      expect(out.map).toBeInstanceOf(Map);
      expect(out.map.get('1')).toBe('string key');
      expect(typeof out.int64).toBe('bigint');
      expect(Object.keys(out)).toContain('missing');
    });

    it('keeps objects and Maps apart, and an empty object an object', () => {
      expect(roundTrip({})).toStrictEqual({});
      expect(roundTrip(new Map())).toStrictEqual(new Map());
      expect(roundTrip([{ a: 1 }, new Map([['a', 1]])])).toStrictEqual([
        { a: 1 },
        new Map([['a', 1]]),
      ]);
    });

    it('reads objects of more than 64 shapes in one payload (record ids are reused)', () => {
      const shapes = Array.from({ length: 150 }, (_, i) => ({ [`k${i}`]: i, shared: i % 3 }));
      expect(roundTrip(shapes)).toStrictEqual(shapes);
    });

    it('copies decoded Buffers out of the payload', () => {
      const payload = Buffer.from(msgpack.serialize({ b: Buffer.from([1, 2, 3]) }));
      const out = msgpack.deserialize(payload) as { b: Buffer };
      payload.fill(0);
      expect(out.b).toEqual(Buffer.from([1, 2, 3]));
    });

    it('documents what it changes: -0 becomes 0, a lone surrogate becomes replacement characters', () => {
      expect(Object.is(roundTrip(-0), 0)).toBe(true);
      expect(roundTrip('a\ud800b')).toMatch(/^a\ufffd+b$/);
      expect(roundTrip(Object.assign(Object.create(null), { a: 1 }))).toStrictEqual({ a: 1 });
    });

    it('writes class instances as plain objects (through toJSON when they have one)', () => {
      class Point {
        constructor(readonly x: number) {}
      }
      expect(roundTrip(new Point(1))).toStrictEqual({ x: 1 });
      class Money {
        constructor(readonly cents: number) {}
        toJSON(): string {
          return `${this.cents / 100} EUR`;
        }
      }
      expect(roundTrip({ price: new Money(250) })).toStrictEqual({ price: '2.5 EUR' });
    });

    it('stays usable after refusing a value', () => {
      expect(() => msgpack.serialize({ a: { b: () => 1 } })).toThrow(TypeError);
      expect(roundTrip([{ a: 1 }, { a: 2 }])).toStrictEqual([{ a: 1 }, { a: 2 }]);
    });
  });

  describe('refusals', () => {
    it.each([
      ['a function', { f: () => 1 }, /a function/],
      ['a symbol', { s: Symbol('s') }, /symbol/],
      ['an Error', { e: new Error('x') }, /an Error/],
      ['a RegExp', [/x/g], /a RegExp/],
      ['an own "__proto__" key', JSON.parse('{"__proto__":{"x":1}}'), /"__proto__"/],
    ])('refuses %s with a TypeError', (_name, value, message) => {
      expect(() => msgpack.serialize(value)).toThrow(TypeError);
      expect(() => msgpack.serialize(value)).toThrow(message);
    });

    it('refuses a value it could not read back under its limits', () => {
      const shallow = new MsgpackSerializer({ maxDepth: 2 });
      expect(() => shallow.serialize([[[1]]])).toThrow(RangeError);
      expect(() => shallow.serialize([[[1]]])).toThrow(/over maxDepth \(2\)/);
      expect(shallow.serialize([[1]])).toBeInstanceOf(Buffer);
      expect(() => new MsgpackSerializer({ maxItems: 3 }).serialize([1, 2, 3])).toThrow(
        /over maxItems \(3\)/,
      );
      expect(() => new MsgpackSerializer({ maxContainers: 1 }).serialize([[]])).toThrow(
        /over maxContainers \(1\)/,
      );
      expect(() => new MsgpackSerializer({ maxBytes: 4 }).serialize('12345')).toThrow(
        /encodes to 6 bytes, over maxBytes \(4\)/,
      );
    });

    it.each([0, -1, 2.5, Number.POSITIVE_INFINITY])('refuses the option value %p', (n) => {
      expect(() => new MsgpackSerializer({ maxItems: n })).toThrow(RangeError);
      expect(() => new MsgpackSerializer({ maxDepth: n })).toThrow(RangeError);
    });
  });

  describe('decoding hostile or corrupt bytes', () => {
    it.each([
      [
        'an array32 header claiming 2^31 items',
        'dd 80000000',
        /claims 2147483648 values but 0 bytes remain/,
      ],
      ['a map32 header claiming 2^32-1 entries', 'df ffffffff 00', /claims 8589934590 values/],
      ['an array16 claiming more than follows', 'dc ffff 00 00', /claims 65535 values/],
      ['a str32 claiming 4 GiB', 'db ffffffff 61', /truncated/],
      ['a bin32 claiming 2 GiB', 'c6 80000000', /truncated/],
      ['an ext32 claiming 4 GiB', 'c9 ffffffff 42', /truncated/],
      ['a record definition claiming 2^31 keys', 'd4 72 00 dd 80000000', /claims 2147483648 keys/],
      ['an unknown extension type', 'd4 01 00', /unsupported extension type 1/],
      [
        "msgpackr's error extension",
        'd4 65 00 93 a1 45 a1 78 c0',
        /unsupported extension type 101/,
      ],
      ["msgpackr's regexp extension", 'd4 78 00 92 a1 78 a0', /unsupported extension type 120/],
      ["msgpackr's structured-clone pointer", 'd6 70 00000001', /unsupported extension type 112/],
      ["msgpackr's bundled strings", 'd6 62 00000000', /unsupported extension type 98/],
      ['a two-byte record definition', 'd5 72 00 00 91 a1 61 01', /unsupported extension type 114/],
      ['an undefined marker in a long form', 'd5 00 0000', /unsupported extension type 0/],
      ['a timestamp of 5 bytes', 'c7 05 ff 0000000000', /timestamp has 5 bytes/],
      ['an empty big integer', 'c7 00 42', /big integer has no bytes/],
      ['a typed array of unknown element type', 'c7 02 74 0c 00', /typed array/],
      ['a Float64Array with a partial element', 'c7 04 74 08 000000', /partial element/],
      [
        'a set not followed by an array',
        'd4 73 00 01',
        /set at byte 3 is not followed by an array/,
      ],
      ['a set at the end of the payload', 'd4 73 00', /not followed by an array/],
      [
        'a record key that is not a string',
        'd4 72 00 91 01 01',
        /record key at byte 4 is not a string/,
      ],
      ['a record without a key list', 'd4 72 00 a1 61', /has no key list/],
      ['a record with a __proto__ key', 'd4 72 00 91 a9 5f5f70726f746f5f5f 01', /"__proto__" key/],
      ['the never-used byte 0xc1', 'c1', /0xc1/],
      ['trailing bytes', '01 02', /1 bytes left after the value/],
      ['an empty payload', '', /truncated/],
    ])('refuses %s', (_name, bytes, reason) => {
      expect(() => msgpack.deserialize(hex(bytes))).toThrow(SyntaxError);
      expect(() => msgpack.deserialize(hex(bytes))).toThrow(reason);
    });

    it('reads the 16- and 32-bit length forms and fixed extensions, as other encoders may write them', () => {
      expect(msgpack.deserialize(hex('92 db 00000001 61 c6 00000002 0102'))).toEqual([
        'a',
        Buffer.from([1, 2]),
      ]);
      expect(msgpack.deserialize(hex('dd 00000001 d9 01 62'))).toEqual(['b']);
      expect(msgpack.deserialize(hex('df 00000001 a1 6b c5 0001 07'))).toEqual(
        new Map([['k', Buffer.from([7])]]),
      );
      expect(msgpack.deserialize(hex('92 d5 74 01 07 d5 42 0101'))).toEqual([
        new Uint8Array([7]),
        257n,
      ]);
      expect(msgpack.deserialize(hex('92 d4 74 01 d4 42 05'))).toEqual([new Uint8Array(0), 5n]);
      expect(msgpack.deserialize(hex('de 0001 01 dc 0001 ca 3fc00000'))).toEqual(
        new Map([[1, [1.5]]]),
      );
      expect(msgpack.deserialize(hex('d4 72 00 dd 00000001 db 00000001 61 01'))).toEqual({ a: 1 });
      expect(msgpack.deserialize(hex('d4 72 00 dc 0001 da 0001 61 01'))).toEqual({ a: 1 });
      const wide = Object.fromEntries(
        Array.from({ length: 20 }, (_, i) => [
          i === 0 ? 'k'.repeat(300) : i === 1 ? 'm'.repeat(40) : `k${i}`,
          i,
        ]),
      );
      expect(roundTrip(wide)).toStrictEqual(wide);
    });

    it('treats 0x40-0x7f as numbers until a record with that id is defined', () => {
      expect(msgpack.deserialize(hex('92 40 7f'))).toEqual([0x40, 0x7f]);
      expect(msgpack.deserialize(hex('93 d4 72 00 91 a1 61 01 40 02 41'))).toEqual([
        { a: 1 },
        { a: 2 },
        0x41,
      ]);
    });

    it('accepts what msgpackr writes for each supported extension', () => {
      const packr = new Packr({ useRecords: true, moreTypes: true });
      const values = [
        new Date(0),
        new Date(1_000_000_123),
        new Date(-1),
        new Date(Number.NaN),
        undefined,
        2n ** 65n,
        new Set([1]),
        new (outerRealm<Int16ArrayConstructor>('Int16Array'))([1, 2]),
        new Uint8Array(0),
        new ArrayBuffer(2),
        new DataView(new ArrayBuffer(3)),
        new (outerRealm<Int8ArrayConstructor>('Int8Array'))(300),
        new Uint8Array(70_000),
      ];
      for (const value of values)
        expect(() => checkMsgpackStructure(packr.pack(value), generous)).not.toThrow();
      expect(msgpack.deserialize(packr.pack(new DataView(new ArrayBuffer(3))))).toBeInstanceOf(
        DataView,
      );
    });

    it('refuses the limits it is given, naming them', () => {
      const strict = new MsgpackSerializer({
        maxDepth: 2,
        maxItems: 5,
        maxContainers: 2,
        maxBytes: 16,
      });
      expect(() => new MsgpackSerializer({ maxDepth: 2 }).deserialize(hex('91 91 91 01'))).toThrow(
        /over maxDepth \(2\)/,
      );
      expect(() => strict.deserialize(hex('95 01 02 03 04 05'))).toThrow(/over maxItems \(5\)/);
      expect(() => strict.deserialize(hex('93 90 90 90'))).toThrow(/over maxContainers \(2\)/);
      expect(() => strict.deserialize(Buffer.alloc(17))).toThrow(
        /payload is 17 bytes, over maxBytes \(16\)/,
      );
      // record keys count as values too: 1 object + 5 keys
      expect(() =>
        new MsgpackSerializer({ maxItems: 5 }).deserialize(
          hex('d4 72 00 95 a1 61 a1 62 a1 63 a1 64 a1 65 01 02 03 04 05'),
        ),
      ).toThrow(/over maxItems/);
      expect(strict.deserialize(hex('92 01 90'))).toEqual([1, []]);
    });

    it('passes structurally valid bytes that msgpackr cannot read as its own refusal', () => {
      // A big integer extension of 1 byte and a Set of a string are checked; a Map key that is an
      // unreadable typed array is left to msgpackr, whose error becomes a SyntaxError of ours.
      const weird = hex('c7 02 74 10 00'); // ArrayBuffer of one byte: fine
      expect(msgpack.deserialize(weird)).toBeInstanceOf(ArrayBuffer);
      expect(decodeOutcome(() => msgpack.deserialize(hex('c7 09 74 0a 0102030405060708')))).toBe(
        'value',
      );
    });

    it('wraps errors that msgpackr throws after the structure check', () => {
      const realUnpack = Packr.prototype.unpack;
      const spy = jest.spyOn(Packr.prototype, 'unpack').mockImplementation(function (this: Packr) {
        throw new Error('msgpackr internal');
      });
      try {
        expect(() => msgpack.deserialize(hex('01'))).toThrow(
          /cannot decode the payload: msgpackr internal/,
        );
      } finally {
        spy.mockRestore();
      }
      expect(Packr.prototype.unpack).toBe(realUnpack);
    });

    it('is total: random bytes give a value or its own refusal (property)', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
          expect(decodeOutcome(() => msgpack.deserialize(Buffer.from(bytes)))).not.toBeInstanceOf(
            Error,
          );
        }),
      );
    });

    it('is total on random token streams (more of them reach msgpackr) (property)', () => {
      const token = fc.oneof(
        fc.integer({ min: 0x80, max: 0x9f }), // containers
        fc.constantFrom(
          0xd4,
          0xd5,
          0xd6,
          0xd7,
          0xc7,
          0x72,
          0x73,
          0x74,
          0x42,
          0xff,
          0x00,
          0x40,
          0x41,
          0xa1,
          0x61,
          0xc0,
        ),
        fc.integer({ min: 0, max: 255 }),
      );
      fc.assert(
        fc.property(fc.array(token, { maxLength: 64 }), (tokens) => {
          expect(decodeOutcome(() => msgpack.deserialize(Buffer.from(tokens)))).not.toBeInstanceOf(
            Error,
          );
        }),
        { numRuns: 2000 },
      );
    });

    it('is total: mutated payloads give a value or its own refusal (property)', () => {
      fc.assert(
        fc.property(msgpackDomain, mutations, (value, edits) => {
          const data = mutate(Buffer.from(msgpack.serialize(value)), edits);
          expect(decodeOutcome(() => msgpack.deserialize(data))).not.toBeInstanceOf(Error);
        }),
      );
    });

    it('accepts exactly what it writes (property)', () => {
      fc.assert(
        fc.property(msgpackDomain, (value) => {
          expect(() =>
            checkMsgpackStructure(msgpack.serialize(value), msgpack.limits),
          ).not.toThrow();
        }),
      );
    });
  });

  it('structure errors say which limit they hit', () => {
    try {
      checkMsgpackStructure(hex('92 01 02'), { ...generous, maxItems: 2 });
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(MsgpackStructureError);
      expect((error as MsgpackStructureError).limit).toBe('maxItems');
    }
  });
});
