import fc from 'fast-check';
import vm from 'node:vm';

/**
 * Value domains of the serializers, as fast-check arbitraries, and the run settings of their
 * properties. `FC_SEED=<n>` replays a failing run (fast-check prints the seed and path of every
 * failure); `FC_RUNS=<n>` runs more (or fewer) cases.
 */
export function configureFastCheck(): void {
  const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
  const numRuns = process.env.FC_RUNS === undefined ? 200 : Number(process.env.FC_RUNS);
  fc.configureGlobal({ ...(seed === undefined ? {} : { seed }), numRuns });
}

type EqualityTester = (a: unknown, b: unknown) => boolean | undefined;

/** jest's `equals` compares Dates with `==` on their time, so two invalid Dates differ; here they are equal. */
export function installDateEquality(): void {
  // In jest 29.4+; @types/jest 29.5 does not declare it yet.
  (expect as unknown as { addEqualityTesters(testers: EqualityTester[]): void }).addEqualityTesters(
    [
      (a: unknown, b: unknown) =>
        a instanceof Date && b instanceof Date ? Object.is(a.getTime(), b.getTime()) : undefined,
    ],
  );
}

/**
 * Under jest's node environment, `Uint8Array` (and so `Buffer`) belong to Node's own realm while
 * the other typed arrays belong to the test's: msgpackr, which recognises typed arrays through
 * `Uint8Array`'s prototype chain, would see those as plain objects. Application code lives in one
 * realm, so the specs make their typed arrays with Node's realm's constructors.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the constructor type it looks up by name
export function outerRealm<T>(name: string): T {
  return vm.runInThisContext(name) as T;
}

/** Typed arrays compare by kind (Buffer or not, element type) and bytes, whatever realm made them. */
export function installTypedArrayEquality(): void {
  (expect as unknown as { addEqualityTesters(testers: EqualityTester[]): void }).addEqualityTesters(
    [
      (a: unknown, b: unknown) => {
        if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b)) return undefined;
        const tag = Object.prototype.toString;
        return (
          Buffer.isBuffer(a) === Buffer.isBuffer(b) &&
          tag.call(a) === tag.call(b) &&
          Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
            Buffer.from(b.buffer, b.byteOffset, b.byteLength),
          )
        );
      },
    ],
  );
}

/** Keys the prototype-pollution guards refuse on purpose; tested on their own. */
const safeKey = fc
  .string({ maxLength: 8 })
  .filter((key) => key !== '__proto__' && key !== 'constructor');

/** Any UTF-16 code unit, lone surrogates included (JSON escapes them). */
const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));

/** Strings that look like the JSON format's tags: a user's own data must not be taken for one. */
const tagLookalike = fc.oneof(
  fc.constantFrom(
    '\u0001',
    '\u0001D',
    '\u0001D2020-01-01T00:00:00.000Z',
    '\u0001NNaN',
    '\u0001N-0',
    '\u0001U',
    '\u0001S',
    '\u0001Sx',
    '\u0001Q',
  ),
  fc.string({ maxLength: 6 }).map((rest) => `\u0001${rest}`),
);

const jsonString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 16 }) },
  { weight: 2, arbitrary: fc.string({ unit: anyCodeUnit, maxLength: 8 }) },
  { weight: 1, arbitrary: tagLookalike },
);

/** `Date` values, valid ones over the whole range and the invalid `Date`. */
export const anyDate = fc.date();

/**
 * The JSON serializer's documented domain: JSON values plus `Date`, every double (`NaN`,
 * `±Infinity`, `-0`), strings of any UTF-16 code units, `undefined` array elements, and
 * `undefined` property values (which come back absent: see {@link withoutUndefinedProperties}).
 */
export const jsonDomain: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    jsonString,
    fc.double(),
    fc.integer(),
    anyDate,
    fc.array(tie('item'), { maxLength: 5 }),
    fc.dictionary(safeKey, tie('property'), { maxKeys: 5, noNullPrototype: true }),
  ),
  item: fc.oneof(
    { weight: 8, arbitrary: tie('value') },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ),
  property: fc.oneof(
    { weight: 8, arbitrary: tie('value') },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ),
})).value;

/**
 * What the JSON serializer returns for a value of {@link jsonDomain}: properties set to
 * `undefined` are left out, and objects are ordinary objects.
 */
export function withoutUndefinedProperties(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefinedProperties);
  const proto: unknown =
    value !== null && typeof value === 'object' ? Object.getPrototypeOf(value) : undefined;
  if (proto === Object.prototype || proto === null) {
    // Null-prototype objects (fast-check makes some) come back as ordinary objects.
    return Object.fromEntries(
      Object.entries(value as object)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, withoutUndefinedProperties(v)]),
    );
  }
  return value;
}

const msgpackScalar = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.string({ maxLength: 300 }), // crosses str8 / str16 boundaries
  fc.double().map((n) => (Object.is(n, -0) ? 0 : n)), // MessagePack writes -0 as the integer 0
  fc.integer(),
  fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
  anyDate,
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
  fc.uint8Array({ maxLength: 40 }),
  fc
    .float64Array({ maxLength: 5 })
    .map((a) => new (outerRealm<Float64ArrayConstructor>('Float64Array'))(a)),
  fc
    .int32Array({ maxLength: 5 })
    .map((a) => new (outerRealm<Int32ArrayConstructor>('Int32Array'))(a)),
);

/**
 * The msgpack serializer's documented domain: JSON-like data plus `undefined` (also as a
 * property value), `BigInt` of any size, `Date`, `Buffer`, typed arrays, `Map` (any keys) and
 * `Set`, and strings of well-formed UTF-16.
 */
export const msgpackDomain: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    msgpackScalar,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(safeKey, tie('value'), { maxKeys: 5, noNullPrototype: true }),
    fc
      .array(fc.tuple(tie('value'), tie('value')), { maxLength: 4 })
      .map((entries) => new Map(entries)),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => new Set(items)),
  ),
})).value;

/** Arrays of objects of a few shapes: what msgpackr's records are for. */
export const recordLists = fc.array(
  fc.oneof(
    fc.record({ id: fc.integer(), name: fc.string() }, { noNullPrototype: true }),
    fc.record(
      { id: fc.integer(), tags: fc.array(fc.string(), { maxLength: 3 }) },
      { noNullPrototype: true },
    ),
    fc.record(
      { at: anyDate, nested: fc.record({ id: fc.integer() }, { noNullPrototype: true }) },
      { noNullPrototype: true },
    ),
  ),
  { maxLength: 80 },
);

/** One edit of a byte string, for "mutated payload" properties. */
export type Mutation = {
  op: 'flip' | 'set' | 'insert' | 'delete' | 'truncate';
  at: number;
  byte: number;
};

export const mutations = fc.array(
  fc.record({
    op: fc.constantFrom<Mutation['op']>('flip', 'set', 'insert', 'delete', 'truncate'),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
  { minLength: 1, maxLength: 4 },
);

/** Applies mutations to a copy of `bytes`. */
export function mutate(bytes: Buffer, edits: readonly Mutation[]): Buffer {
  const out = Array.from(bytes);
  for (const { op, at, byte } of edits) {
    const i = out.length === 0 ? 0 : at % (out.length + (op === 'insert' ? 1 : 0));
    if (op === 'insert') out.splice(i, 0, byte);
    else if (out.length === 0) continue;
    else if (op === 'flip') out[i] ^= 1 << (byte % 8);
    else if (op === 'set') out[i] = byte;
    else if (op === 'delete') out.splice(i, 1);
    else out.length = i;
  }
  return Buffer.from(out);
}

/**
 * Decodes and reports how it ended. A decoder is total when this returns `value` or `refused`
 * with an error of the serializer's own (a message starting `[cache-aside]`), never anything else.
 */
export function decodeOutcome(decode: () => unknown): 'value' | 'refused' | Error {
  try {
    decode();
    return 'value';
  } catch (error) {
    if (
      (error instanceof SyntaxError || error instanceof RangeError || error instanceof TypeError) &&
      error.message.startsWith('[cache-aside]')
    ) {
      return 'refused';
    }
    return error instanceof Error ? error : new Error(`non-Error thrown: ${String(error)}`);
  }
}
