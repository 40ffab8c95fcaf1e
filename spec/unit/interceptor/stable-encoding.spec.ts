import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  encodeArguments,
  encodeKeySegment,
  HASHED_HEAD_LENGTH,
  MAX_PLAIN_ENCODING,
} from '../../../lib/interceptor/stable-encoding';
import { UnsupportedKeyValueError } from '../../../lib/errors/unsupported-key-value.error';

/**
 * Pinned so that a run is reproducible; override with FC_SEED=<n> to explore. fast-check puts the
 * seed and the shrunk counterexample in the failure message, and we add it to the test name.
 */
const SEED = Number(process.env.FC_SEED ?? 0x5eed_2024);
const RUNS = Number(process.env.FC_RUNS ?? 1000);
const params = { seed: SEED, numRuns: RUNS };

// ── a reference equality, written independently of the encoder ─────────────────────────────────

/** Equal up to the order of object keys and of Map / Set entries; 0 equals -0, NaN equals NaN. */
function equivalent(a: unknown, b: unknown): boolean {
  if (typeof a !== typeof b) return false;
  if (typeof a === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b));
  if (typeof a !== 'object' || a === null || b === null) return a === b;
  const o = b as object;
  if (Array.isArray(a))
    return Array.isArray(o) && a.length === o.length && a.every((x, i) => equivalent(x, o[i]));
  if (a instanceof Date)
    return (
      o instanceof Date &&
      (a.getTime() === o.getTime() || (Number.isNaN(a.getTime()) && Number.isNaN(o.getTime())))
    );
  if (a instanceof Map) {
    return (
      o instanceof Map &&
      a.size === o.size &&
      [...a].every(([k, v]) => [...o].some(([k2, v2]) => equivalent(k, k2) && equivalent(v, v2)))
    );
  }
  if (a instanceof Set)
    return (
      o instanceof Set &&
      a.size === o.size &&
      [...a].every((x) => [...o].some((y) => equivalent(x, y)))
    );
  if (Array.isArray(o) || o instanceof Date || o instanceof Map || o instanceof Set) return false;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(o).sort();
  return (
    ka.length === kb.length &&
    ka.every(
      (k, i) =>
        k === kb[i] &&
        equivalent((a as Record<string, unknown>)[k], (o as Record<string, unknown>)[k]),
    )
  );
}

/** A deep copy with object keys, Map entries and Set items in another order. */
function reordered(value: unknown, rotate: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const turn = <T>(items: T[]): T[] =>
    items.length < 2
      ? items
      : [...items.slice(rotate % items.length), ...items.slice(0, rotate % items.length)].reverse();
  if (Array.isArray(value)) return value.map((v) => reordered(v, rotate + 1));
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof Map)
    return new Map(turn([...value]).map(([k, v]) => [k, reordered(v, rotate + 1)]));
  if (value instanceof Set) return new Set(turn([...value]));
  const copy: Record<string, unknown> =
    Object.getPrototypeOf(value) === null ? (Object.create(null) as Record<string, unknown>) : {};
  for (const k of turn(Object.keys(value)))
    copy[k] = reordered((value as Record<string, unknown>)[k], rotate + 1);
  return copy;
}

/** A value that differs in a way that naive encodings miss (type, shape, or a nearby value). */
function nearMiss(value: unknown, kind: number): unknown {
  if (value === null) return kind % 2 ? undefined : 'null';
  if (value === undefined) return kind % 2 ? null : 'undefined';
  if (typeof value === 'number') return kind % 2 ? String(value) : value + 1;
  if (typeof value === 'string') {
    // the last kind swaps a brace for its escape (or back): what an injective escaping must survive
    const swapped = value.includes('{')
      ? value.replace('{', '%7B')
      : value.includes('%7B')
        ? value.replace('%7B', '{')
        : `${value}{`;
    return [Number(value), `${value}x`, [value], swapped][kind % 4];
  }
  if (typeof value === 'bigint') return kind % 2 ? Number(value) : String(value);
  if (typeof value === 'boolean') return kind % 2 ? !value : String(value);
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? 'NaN' : kind % 2 ? value.toISOString() : value.getTime();
  if (Array.isArray(value))
    return kind % 2
      ? value.map((v) => (typeof v === 'object' && v !== null ? 'obj' : String(v))).join(',')
      : [...(value as unknown[]), null];
  if (value instanceof Map)
    return kind % 2 ? Object.fromEntries(value) : new Map([...value, ['extra', 1]]);
  if (value instanceof Set) return kind % 2 ? [...value] : new Set([...value, 'extra']);
  return kind % 2 ? Object.entries(value) : { ...value, extra: undefined };
}

// ── arbitraries ─────────────────────────────────────────────────────────────────────────────────

const trickyStrings = fc.constantFrom(
  'a{b',
  'a%7Bb',
  '',
  '{',
  '}',
  '{a}',
  '%7B',
  '%',
  '1',
  '1,2',
  'n1',
  's1:a',
  'U',
  'null',
  ')',
  '=',
  ',',
);
const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), trickyStrings);
const primitive = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.integer({ min: -3, max: 3 }),
  fc.double(),
  fc.bigInt({ min: -1000n, max: 1000n }),
  text,
);
const date = fc.oneof(fc.date({ noInvalidDate: true }), fc.constant(new Date(Number.NaN)));

const { value } = fc.letrec<{
  value: unknown;
  array: unknown[];
  object: Record<string, unknown>;
  map: Map<unknown, unknown>;
  set: Set<unknown>;
}>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    primitive,
    date,
    tie('array'),
    tie('object'),
    tie('map'),
    tie('set'),
  ),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(text, tie('value'), { maxKeys: 4 }),
  map: fc
    .uniqueArray(fc.tuple(fc.oneof(text, fc.integer({ min: -2, max: 2 })), tie('value')), {
      maxLength: 3,
      comparator: (x, y) => equivalent(x[0], y[0]),
    })
    .map((entries) => new Map(entries)),
  set: fc
    .uniqueArray(primitive, { maxLength: 4, comparator: equivalent })
    .map((items) => new Set(items)),
}));
const argumentLists = fc.array(value, { maxLength: 4 });

// ── properties ──────────────────────────────────────────────────────────────────────────────────

describe(`stable argument encoding (fast-check seed ${SEED}, ${RUNS} runs)`, () => {
  it('gives argument lists that are equal up to key order the same encoding', () => {
    fc.assert(
      fc.property(argumentLists, fc.nat(), (args, rotate) => {
        const copy = args.map((a) => reordered(a, rotate));
        expect(encodeArguments(copy)).toBe(encodeArguments(args));
      }),
      params,
    );
  });

  it('gives every other pair of argument lists different encodings (near misses included)', () => {
    const pairs = fc.oneof(
      fc.tuple(argumentLists, argumentLists),
      fc
        .tuple(
          argumentLists.filter((a) => a.length > 0),
          fc.nat(),
          fc.nat(),
        )
        .map(([args, at, kind]) => {
          const other = [...args];
          other[at % args.length] = nearMiss(args[at % args.length], kind);
          return [args, other] as [unknown[], unknown[]];
        }),
      fc
        .tuple(argumentLists, value)
        .map(([args, extra]) => [args, [...args, extra]] as [unknown[], unknown[]]),
    );
    fc.assert(
      fc.property(pairs, ([a, b]) => {
        expect(encodeArguments(a) === encodeArguments(b)).toBe(equivalent(a, b));
      }),
      params,
    );
  });

  it('escapes strings injectively, however they mix braces, percent signs and escape-like text', () => {
    // a tiny alphabet, and a second list made from the first by swapping characters for the
    // text of their escapes (or back), make equal and escape-colliding pairs frequent
    const escapeText = fc.string({
      unit: fc.constantFrom('{', '}', '%', '7', 'B', 'D', '2', '5', ':', ','),
      maxLength: 6,
    });
    const swaps: Array<[RegExp, string]> = [
      [/\{/, '%7B'],
      [/%7B/, '{'],
      [/\}/, '%7D'],
      [/%7D/, '}'],
      [/%/, '%25'],
      [/%25/, '%'],
      [/$/, ''],
    ];
    const pairs = fc.array(escapeText, { maxLength: 3 }).chain((a) =>
      fc
        .array(fc.nat(swaps.length - 1), { minLength: a.length, maxLength: a.length })
        .map((choice) => {
          const b = a.map((x, i) => x.replace(swaps[choice[i]][0], swaps[choice[i]][1]));
          return [a, b] as const;
        }),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          pairs,
          fc.tuple(fc.array(escapeText, { maxLength: 3 }), fc.array(escapeText, { maxLength: 3 })),
        ),
        ([a, b]) => {
          expect(encodeArguments(a) === encodeArguments(b)).toBe(
            a.length === b.length && a.every((x, i) => x === b[i]),
          );
        },
      ),
      params,
    );
  });

  it('never puts a brace into an encoding, so no value can choose a Cluster slot', () => {
    fc.assert(
      fc.property(argumentLists, (args) => {
        expect(encodeArguments(args)).not.toMatch(/[{}]/);
      }),
      params,
    );
  });

  it('produces well-formed text only (every string survives UTF-8 unchanged)', () => {
    fc.assert(
      fc.property(argumentLists, (args) => {
        const encoded = encodeArguments(args);
        expect(Buffer.from(encoded, 'utf8').toString('utf8')).toBe(encoded);
      }),
      params,
    );
  });
});

describe('stable argument encoding, by example', () => {
  it.each<[string, unknown[], unknown[]]>([
    ["1 and '1'", [1], ['1']],
    ['null and undefined', [null], [undefined]],
    ["[1,2] and '1,2'", [[1, 2]], ['1,2']],
    ['a Map and an object', [new Map([['a', 1]])], [{ a: 1 }]],
    ['a Date and its ISO string', [new Date(0)], [new Date(0).toISOString()]],
    ['a Set and an array', [new Set([1])], [[1]]],
    ['one argument and two', [['a', 'b']], ['a', 'b']],
    ['1n and 1', [1n], [1]],
    ['true and "true"', [true], ['true']],
    ['a trailing undefined and none', [1, undefined], [1]],
    ['/a/g and /a/', [/a/g], [/a/]],
    ['two Buffers', [Buffer.from([1])], [Buffer.from([2])]],
  ])('tells %s apart', (_name, a, b) => {
    expect(encodeArguments(a)).not.toBe(encodeArguments(b));
  });

  it('encodes readably, with lengths', () => {
    expect(encodeArguments([42, 'alice', { b: [true, null], a: undefined }])).toBe(
      'n42,s5:alice,(s1:a=U,s1:b=[T,N])',
    );
    expect(encodeArguments([new Date(0), 10n, -0])).toBe('D1970-01-01T00:00:00.000Z,b10,n0');
    expect(encodeArguments([new Map([[1, 'x']]), new Set(['b', 'a'])])).toBe(
      'M(n1=s1:x),S(s1:a,s1:b)',
    );
    expect(encodeArguments(['{tag}%'])).toBe('s12:%7Btag%7D%25');
    expect(encodeArguments(['\ud800'])).toBe('q1:d800');
    expect(encodeArguments([])).toBe('');
  });

  it('keys class instances by class name and own properties, or by toJSON()', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    class Id {
      constructor(private readonly hex: string) {}
      toJSON(): string {
        return this.hex;
      }
    }
    expect(encodeArguments([new Point(1, 2)])).toBe('is5:Point(s1:x=n1,s1:y=n2)');
    expect(encodeArguments([new Point(1, 2)])).not.toBe(encodeArguments([{ x: 1, y: 2 }]));
    expect(encodeArguments([new Id('ab')])).toBe('js2:Ids2:ab');
    expect(encodeArguments([new URL('https://x.test/a')])).toBe('js3:URLs16:https://x.test/a');
  });

  it('hashes a long encoding with SHA-256, keeping a readable head', () => {
    const long = ['x'.repeat(500)];
    const plain = `s500:${'x'.repeat(500)}`;
    const encoded = encodeArguments(long);
    const digest = createHash('sha256').update(plain).digest('base64url');
    expect(encoded).toBe(`${plain.slice(0, HASHED_HEAD_LENGTH)}~${digest}`);
    expect(encoded.length).toBeGreaterThan(MAX_PLAIN_ENCODING);
    expect(encodeArguments(['x'.repeat(500) + 'y'])).not.toBe(encoded);
  });

  it('keeps the head of a hashed encoding from splitting a surrogate pair', () => {
    const emoji = '😀'.repeat(200);
    const encoded = encodeArguments([`abc${emoji}`]);
    expect(Buffer.from(encoded, 'utf8').toString('utf8')).toBe(encoded);
  });

  it('keeps every plain encoding shorter than every hashed one', () => {
    const longestPlain = encodeArguments(['x'.repeat(MAX_PLAIN_ENCODING - 5)]);
    expect(longestPlain.length).toBe(MAX_PLAIN_ENCODING);
    expect(encodeArguments(['x'.repeat(MAX_PLAIN_ENCODING - 4)]).length).toBeGreaterThan(
      MAX_PLAIN_ENCODING + 1,
    );
  });

  describe('refuses, naming the argument and why', () => {
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = [deep];
    class Private {
      #secret = 1;
      get secret(): number {
        return this.#secret;
      }
    }

    it.each<[string, unknown[], RegExp]>([
      ['a function', [{ cb: () => 1 }], /argument 0\.cb is a function/],
      ['a symbol', [1, Symbol('s')], /argument 1 is a symbol/],
      ['a circular structure', [circular], /argument 0\.self refers back to one of its containers/],
      ['deep nesting', [deep], /nested more than 64 levels deep/],
      ['symbol-keyed properties', [{ [Symbol('k')]: 1 }], /argument 0 has symbol-keyed properties/],
      ['a Promise', [Promise.resolve(1)], /argument 0 is a Promise/],
      ['a WeakMap', [[new WeakMap()]], /argument 0\[0\] is a WeakMap/],
      ['an Error', [new Error('x')], /is an Error/],
      ['a boxed primitive', [Object(1)], /is a boxed Number/],
      [
        'an instance without visible state',
        [new Private()],
        /is a Private with no enumerable properties.*toJSON\(\)/,
      ],
      [
        'a function inside a Map',
        [new Map([['k', () => 1]])],
        /argument 0\.get\(…\) is a function/,
      ],
    ])('%s', (_name, args, message) => {
      expect(() => encodeArguments(args)).toThrow(UnsupportedKeyValueError);
      expect(() => encodeArguments(args)).toThrow(message);
    });

    it('while allowing the same object twice when it is not circular', () => {
      const shared = { a: 1 };
      expect(encodeArguments([shared, [shared, shared]])).toBe('(s1:a=n1),[(s1:a=n1),(s1:a=n1)]');
    });
  });
});

// ── key segments ────────────────────────────────────────────────────────────────────────────────

/**
 * What `encodeKeySegment` documents, one UTF-16 unit at a time: letters, digits, `-`, `_`, `.`,
 * non-ASCII text and well-formed surrogate pairs stay; other ASCII becomes `%XX`, a lone
 * surrogate `%uXXXX`.
 */
function referenceSegment(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += text.slice(i, i + 2);
      i++;
    } else if (code >= 0xd800 && code <= 0xdfff) out += '%u' + code.toString(16).toUpperCase();
    else if (code >= 0x80 || /[A-Za-z0-9_.-]/.test(text[i])) out += text[i];
    else out += '%' + code.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

describe(`key segments (fast-check seed ${SEED}, ${RUNS} runs)`, () => {
  it('encode as the one-unit-at-a-time reference does, whatever mix of ASCII, escapes and surrogates', () => {
    const unit = fc.oneof(
      fc.constantFrom(':', '%', '{', '}', '*', ' ', '@', 'a', 'Z', '0', '-', '_', '.', '\u00e9'),
      fc.constantFrom('\ud83d', '\ude00', '\ud83d\ude00', '\udbff', '\udc00'),
      fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
    );
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 24 }), (units) => {
        const text = units.join('');
        expect(encodeKeySegment(text)).toBe(referenceSegment(text));
      }),
      params,
    );
  });

  it('by example: separators and symbols escaped, letters and pairs kept, lone surrogates named', () => {
    expect(encodeKeySegment('user:42')).toBe('user%3A42');
    expect(encodeKeySegment('ada@example.test')).toBe('ada%40example.test');
    expect(encodeKeySegment(':')).toBe('%3A');
    expect(encodeKeySegment('a b')).toBe('a%20b');
    expect(encodeKeySegment('caf\u00e9-\ud83d\ude00')).toBe('caf\u00e9-\ud83d\ude00');
    expect(encodeKeySegment('x\ud800y')).toBe('x%uD800y');
    expect(encodeKeySegment('\udc00')).toBe('%uDC00');
    const plain = 'Plain_text-1.0';
    expect(encodeKeySegment(plain)).toBe(plain);
  });
});
