import { parse as secureParse } from 'secure-json-parse';
import { malformed, messageOf, overLimit, unsupportedValue } from '../errors/serializer-errors';
import { isPlainJson } from './plain-json';

/**
 * The JSON wire format of `JsonSerializer` (and of `ClassTransformerSerializer`, which maps
 * class instances to plain values first).
 *
 * A payload is one of two things, told apart by its first byte:
 * - plain JSON text — the common case: the value held nothing JSON cannot say. Decoding is one
 *   `JSON.parse` (with the prototype-key check), nothing more, so a hit costs what JSON costs.
 * - byte `0x01` then JSON text in which some strings are tags. `0x01` cannot start JSON text,
 *   so the two never mix up. Only then does decoding walk the result to restore the tags.
 *
 * A tag is a string whose first character is U+0001, the second says what it stands for:
 *
 * | tag                          | stands for                                             |
 * |------------------------------|--------------------------------------------------------|
 * | `\u0001D` + milliseconds     | a `Date`: its time value (nothing after `D`: invalid)  |
 * | `\u0001N` + `NaN`, `Infinity`, `-Infinity`, `-0` | that number (JSON would write `null` or `0`) |
 * | `\u0001U`                    | `undefined` as an array element or the whole value     |
 * | `\u0001S` + the string       | a string of the user's that itself starts with U+0001  |
 *
 * The `S` escape is what keeps a user's own string that looks like a tag from being read as
 * one. Object keys are never tags. A property whose value is `undefined` is left out, as
 * `JSON.stringify` does (reading it gives `undefined` either way); everything else JSON cannot
 * represent faithfully is refused with a `TypeError` instead of being changed: BigInt,
 * functions, symbols, `Map`, `Set`, binary data, promises, `RegExp`, `Error`, circular
 * references, and objects with an own `__proto__` key or a `constructor.prototype` (which the
 * decoder refuses, so that tampered entries cannot smuggle them into code that merges objects).
 */

const MARK = 0x01;
const MARK_CHAR = '\u0001';
const TAG_DATE = 'D'.charCodeAt(0);
const TAG_NUMBER = 'N'.charCodeAt(0);
const TAG_UNDEFINED = 'U'.charCodeAt(0);
const TAG_ESCAPED = 'S'.charCodeAt(0);
const DATE_PREFIX = `${MARK_CHAR}D`;
const NUMBER_PREFIX = `${MARK_CHAR}N`;
const UNDEFINED_TAG = `${MARK_CHAR}U`;
const ESCAPED_PREFIX = `${MARK_CHAR}S`;

/** A Date tag's body: an integer number of milliseconds, within the range a Date can hold. */
// eslint-disable-next-line no-control-regex -- U+0001 is the format's tag mark
const DATE_TIME = /^\u0001D-?\d{1,16}$/;
const MAX_DATE_TIME = 8.64e15;

const PARSE_OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const;

// eslint-disable-next-line @typescript-eslint/unbound-method -- the original getTime, called on each Date with .call
const dateGetTime = Date.prototype.getTime;

/**
 * The bounds of one JSON serializer. `maxDepth` counts containers nested inside one another, as
 * `MsgpackSerializer` does: `[[1]]` is 2 deep. Callers recurse over what a hit returns (their own
 * `JSON.stringify`, a deep clone, a template), so a value nested past this is refused on both
 * sides instead of overflowing their stack later.
 */
export interface JsonLimits {
  readonly maxBytes: number;
  readonly maxDepth: number;
}

/** Encodes a value as JSON text (plain, or marked and tagged when it needs tags). */
export function encodeJson(value: unknown, limits: JsonLimits, serializer: string): string {
  if (!isPlainJson(value, limits.maxDepth)) return encodeTaggedJson(value, limits, serializer);
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    // What the walk saw is not what JSON.stringify met (a getter answering differently the
    // second time, a stack JSON.stringify finds too shallow): the tagging encoder decides.
    return encodeTaggedJson(value, limits, serializer);
  }
  return withinMaxBytes(text, limits, serializer);
}

/**
 * {@link encodeJson} for any value: a replacer tags what JSON cannot say, and refuses what the
 * format cannot hold with the reason. Exported for the spec that holds both paths to one output.
 */
export function encodeTaggedJson(value: unknown, limits: JsonLimits, serializer: string): string {
  const { maxDepth } = limits;
  const state = { tagged: false };
  let text: string | undefined;
  try {
    text = JSON.stringify(value, createReplacer(state, serializer));
  } catch (error) {
    if (error instanceof TypeError && error.message.startsWith('[cache-aside]')) throw error;
    // JSON.stringify recurses: a value deep enough to exhaust the stack is over any sane bound.
    if (error instanceof RangeError && /call stack/i.test(error.message))
      throw tooDeep(serializer, 'the value', maxDepth);
    const message = messageOf(error);
    if (message.includes('circular')) {
      throw unsupportedValue(
        serializer,
        'a circular structure',
        'cache a copy without the back-references',
      );
    }
    throw unsupportedValue(
      serializer,
      `this value (${message})`,
      'cache plain data: objects, arrays, strings, numbers, booleans, null, Dates',
    );
  }
  // Nothing written: the whole value is undefined (or a toJSON() returned undefined).
  const out =
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- JSON.stringify returns undefined for an undefined value, whatever its type says
    text === undefined ? `${MARK_CHAR}"\\u0001U"` : state.tagged ? MARK_CHAR + text : text;
  // What the decoder would refuse, the encoder does not write.
  if (!fewOpenings(out, maxDepth) && textNestsDeeper(out, maxDepth))
    throw tooDeep(serializer, 'the value', maxDepth);
  return checkedText(out, limits, serializer);
}

/** The encoded text, once it is within `maxBytes` and holds no prototype key. */
function checkedText(out: string, limits: JsonLimits, serializer: string): string {
  withinMaxBytes(out, limits, serializer);
  if (out.includes('"__proto__"') || out.includes('"constructor"'))
    assertNoPrototypeKeys(out, serializer);
  return out;
}

/** The encoded text, once it is within `maxBytes`. */
function withinMaxBytes(out: string, limits: JsonLimits, serializer: string): string {
  const { maxBytes } = limits;
  // UTF-8 takes at least one byte per UTF-16 unit and at most three.
  if (
    out.length > maxBytes ||
    (out.length * 3 > maxBytes && Buffer.byteLength(out, 'utf8') > maxBytes)
  ) {
    throw overLimit(
      serializer,
      `the value encodes to more than ${maxBytes} bytes`,
      'maxBytes',
      maxBytes,
    );
  }
  return out;
}

/** Decodes what {@link encodeJson} wrote; anything else is a `SyntaxError` or `RangeError`. */
export function decodeJson(data: Buffer, limits: JsonLimits, serializer: string): unknown {
  const { maxBytes, maxDepth } = limits;
  if (data.length > maxBytes) {
    throw overLimit(serializer, `the payload is ${data.length} bytes`, 'maxBytes', maxBytes);
  }
  if (data.length > 0 && data[0] === MARK) {
    // The walk that restores tags also refuses prototype keys, as secure-json-parse would, and
    // values nested deeper than maxDepth.
    return revive(parse(data.toString('utf8', 1), serializer), maxDepth, serializer);
  }
  const text = data.toString('utf8');
  const value = mayHoldPrototypeKeys(text)
    ? parseSecurely(text, serializer)
    : parse(text, serializer);
  // JSON.parse itself does not recurse (V8 parses iteratively), so a deep payload is parsed
  // within maxBytes of memory and then measured. Most payloads hold fewer brackets than
  // maxDepth and are cleared by a few indexOf calls; the others take one walk of the result.
  if (!fewOpenings(text, maxDepth) && valueNestsDeeper(value, maxDepth))
    throw tooDeep(serializer, 'the payload', maxDepth);
  return value;
}

function tooDeep(serializer: string, what: string, maxDepth: number): RangeError {
  return overLimit(
    serializer,
    `${what} nests containers more than ${maxDepth} deep`,
    'maxDepth',
    maxDepth,
  );
}

/**
 * Whether the text holds at most `max` opening brackets, inside strings or not: then no value in
 * it can be nested deeper than `max`. `indexOf` is a native scan, so a typical record is cleared
 * in a handful of calls.
 */
function fewOpenings(text: string, max: number): boolean {
  let count = 0;
  for (let at = text.indexOf('{'); at >= 0; at = text.indexOf('{', at + 1))
    if (++count > max) return false;
  for (let at = text.indexOf('['); at >= 0; at = text.indexOf('[', at + 1))
    if (++count > max) return false;
  return true;
}

/**
 * Whether a parsed JSON value has containers nested more than `max` deep. Below
 * {@link RECURSIVE_WALK_LIMIT} the walk recurses (at most `max + 1` frames, and about four times
 * faster than a walk with explicit stacks: ~8 µs for a 100 KB list of records); a larger
 * configured bound walks iteratively, so that no depth can exhaust the stack.
 */
function valueNestsDeeper(root: unknown, max: number): boolean {
  if (root === null || typeof root !== 'object') return false;
  return max <= RECURSIVE_WALK_LIMIT ? nestsDeeper(root, max) : nestsDeeperIteratively(root, max);
}

const RECURSIVE_WALK_LIMIT = 1024;

/** `levelsLeft` containers may still open below this one (counting itself). */
function nestsDeeper(node: object, levelsLeft: number): boolean {
  if (levelsLeft === 0) return true;
  // JSON.parse makes plain objects and arrays: for-in visits array indexes and own keys alike.
  const items: unknown[] = Array.isArray(node) ? node : Object.values(node);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item !== null && typeof item === 'object' && nestsDeeper(item, levelsLeft - 1)) return true;
  }
  return false;
}

function nestsDeeperIteratively(root: object, max: number): boolean {
  const nodes: object[] = [root];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop() as object;
    const depth = depths.pop() as number;
    if (depth > max) return true;
    const items: unknown[] = Array.isArray(node) ? node : Object.values(node);
    for (const item of items) {
      if (item !== null && typeof item === 'object') {
        nodes.push(item);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

/**
 * Whether JSON text (our own output) nests containers more than `max` deep, brackets inside
 * strings not counted: strings are skipped with `indexOf('"')`, an escaped quote being one
 * preceded by an odd number of backslashes.
 */
function textNestsDeeper(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = endOfString(text, i);
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/** The index of the quote that closes the string opened at `open` (the text's end if none). */
function endOfString(text: string, open: number): number {
  for (let quote = text.indexOf('"', open + 1); quote >= 0; quote = text.indexOf('"', quote + 1)) {
    let before = quote - 1;
    while (text.charCodeAt(before) === BACKSLASH) before--;
    if ((quote - 1 - before) % 2 === 0) return quote;
  }
  return text.length;
}

/**
 * Whether plain JSON text could hold a `__proto__` or `constructor` key. Without a `\u` escape
 * such a key contains `_proto` or `uctor"`; these needles are short on purpose (V8 searches
 * them without building a Boyer-Moore table), so a clean 1 KB payload is cleared in about 0.2 µs
 * where secure-json-parse's two regular expressions take about 0.6 µs. Any hit goes to
 * secure-json-parse itself.
 */
function mayHoldPrototypeKeys(text: string): boolean {
  return text.includes('_proto') || text.includes('uctor"') || text.includes('\\u');
}

function parse(text: string, serializer: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw malformed(serializer, messageOf(error), error);
  }
}

function parseSecurely(text: string, serializer: string): unknown {
  try {
    return secureParse(text, undefined, PARSE_OPTIONS);
  } catch (error) {
    throw malformed(serializer, messageOf(error), error);
  }
}

/**
 * Our own output holds `"__proto__"` or `"constructor"` somewhere: check it the way the decoder
 * will, and refuse it now rather than store an entry that every read would reject.
 */
function assertNoPrototypeKeys(text: string, serializer: string): void {
  try {
    secureParse(text.charCodeAt(0) === MARK ? text.slice(1) : text, undefined, PARSE_OPTIONS);
  } catch {
    throw unsupportedValue(
      serializer,
      'an object with an own "__proto__" key or a "constructor" object with a "prototype" key',
      'rename the key (entries holding it are refused on read, to keep tampered ones from polluting prototypes)',
    );
  }
}

type Replacer = (this: unknown, key: string, value: unknown) => unknown;

function createReplacer(state: { tagged: boolean }, serializer: string): Replacer {
  const tag = (text: string): string => {
    state.tagged = true;
    return text;
  };
  const number = (n: number): number | string =>
    n - n !== 0 || (n === 0 && 1 / n < 0)
      ? tag(NUMBER_PREFIX + (Object.is(n, -0) ? '-0' : String(n)))
      : n;
  const date = (d: Date): string => {
    const time = dateGetTime.call(d);
    return tag(DATE_PREFIX + (time === time ? String(time) : ''));
  };

  return function replace(this: unknown, key: string, value: unknown): unknown {
    switch (typeof value) {
      case 'string': {
        if (value.charCodeAt(0) === MARK) return tag(ESCAPED_PREFIX + value);
        // A string that is not the property itself came from a toJSON: a Date's is replaced by
        // its tag, anything else (a user's toJSON) is kept as the user chose.
        const raw = (this as Record<string, unknown>)[key];
        return raw !== value && isDate(raw) ? date(raw) : value;
      }
      case 'number':
        return number(value);
      case 'boolean':
        return value;
      case 'object': {
        if (value === null) {
          const raw = (this as Record<string, unknown>)[key];
          return raw !== null && isDate(raw) ? date(raw) : null; // an invalid Date's toJSON() is null
        }
        return object(value, (this as Record<string, unknown>)[key]);
      }
      case 'undefined':
        // In an array JSON would write null; in an object it leaves the property out, as we do.
        return Array.isArray(this) ? tag(UNDEFINED_TAG) : undefined;
      case 'bigint':
        throw unsupportedValue(
          serializer,
          'a BigInt',
          'convert it to a string or number first, or use MsgpackSerializer',
        );
      case 'function':
        throw unsupportedValue(
          serializer,
          `a function${at(key)}`,
          'cache data, not behaviour (ClassTransformerSerializer restores methods through the class)',
        );
      default:
        throw unsupportedValue(serializer, `a ${typeof value}${at(key)}`, 'cache plain data');
    }
  };

  function object(value: object, raw: unknown): unknown {
    // Buffer's toJSON() makes a plain { type, data } object: refuse it like other binary data.
    if (raw !== value && isBinary(raw)) throw binary();
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === Array.prototype || proto === null) return value;
    // Tags rather than instanceof, so that values made in another realm (vm, jest) are seen too.
    switch (Object.prototype.toString.call(value)) {
      case '[object Date]': // a toJSON() that returned a Date
        return date(value as Date);
      case '[object Number]':
        return number(Number.prototype.valueOf.call(value));
      case '[object String]': {
        const s = String.prototype.valueOf.call(value);
        return s.charCodeAt(0) === MARK ? tag(ESCAPED_PREFIX + s) : s;
      }
      case '[object Map]':
      case '[object Set]':
      case '[object WeakMap]':
      case '[object WeakSet]':
        throw unsupportedValue(
          serializer,
          `a ${Object.prototype.toString.call(value).slice(8, -1)}`,
          'convert it to an object or array first, or use MsgpackSerializer, which keeps Map and Set',
        );
      case '[object Promise]':
        throw unsupportedValue(serializer, 'a Promise', 'await it, and cache what it resolves to');
      case '[object RegExp]':
        throw unsupportedValue(serializer, 'a RegExp', 'store its source and flags as strings');
      case '[object Error]':
        throw unsupportedValue(
          serializer,
          'an Error',
          'store its message (and what else you need) as strings',
        );
    }
    if (isBinary(value)) throw binary();
    // Any other class instance is written as its own enumerable properties (and read back as
    // a plain object): use ClassTransformerSerializer to get instances back.
    return value;
  }

  function binary(): TypeError {
    return unsupportedValue(
      serializer,
      'binary data (a Buffer, typed array or ArrayBuffer)',
      'use MsgpackSerializer, or encode it as a base64 string',
    );
  }
}

function at(key: string): string {
  return key === '' ? '' : ` (property "${key}")`;
}

function isBinary(value: unknown): boolean {
  if (ArrayBuffer.isView(value)) return true;
  const tag = Object.prototype.toString.call(value);
  return tag === '[object ArrayBuffer]' || tag === '[object SharedArrayBuffer]';
}

function isDate(value: unknown): value is Date {
  return value instanceof Date || Object.prototype.toString.call(value) === '[object Date]';
}

/**
 * Restores the tags of a marked payload, walking iteratively so that depth cannot overflow the
 * stack, refuses containers nested deeper than `maxDepth`, and refuses the objects secure-json-parse refuses (`protoAction` and
 * `constructorAction` `'error'`): an own `__proto__`, or a `constructor` object with an own
 * `prototype`.
 */
function revive(root: unknown, maxDepth: number, serializer: string): unknown {
  if (typeof root === 'string') return root.charCodeAt(0) === MARK ? untag(root, serializer) : root;
  if (root === null || typeof root !== 'object') return root;
  const pending: object[] = [root];
  const depths: number[] = [1];
  while (pending.length > 0) {
    const node = pending.pop() as Record<string, unknown> | unknown[];
    const depth = depths.pop() as number;
    if (depth > maxDepth) throw tooDeep(serializer, 'the payload', maxDepth);
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const item = node[i];
        if (typeof item === 'string') {
          if (item.charCodeAt(0) === MARK) node[i] = untag(item, serializer);
        } else if (item !== null && typeof item === 'object') {
          pending.push(item);
          depths.push(depth + 1);
        }
      }
    } else {
      assertNoPrototypeKey(node, serializer);
      for (const key of Object.keys(node)) {
        const item = node[key];
        if (typeof item === 'string') {
          if (item.charCodeAt(0) === MARK) node[key] = untag(item, serializer);
        } else if (item !== null && typeof item === 'object') {
          pending.push(item);
          depths.push(depth + 1);
        }
      }
    }
  }
  return root;
}

// eslint-disable-next-line @typescript-eslint/unbound-method -- always called with .call(node)
const hasOwn = Object.prototype.hasOwnProperty;

function assertNoPrototypeKey(node: Record<string, unknown>, serializer: string): void {
  const constructor: unknown = hasOwn.call(node, 'constructor') ? node.constructor : undefined;
  if (
    hasOwn.call(node, '__proto__') ||
    (constructor !== null &&
      typeof constructor === 'object' &&
      hasOwn.call(constructor, 'prototype'))
  ) {
    throw malformed(serializer, 'Object contains forbidden prototype property');
  }
}

function untag(text: string, serializer: string): unknown {
  switch (text.charCodeAt(1)) {
    case TAG_DATE: {
      if (text.length === 2) return new Date(Number.NaN);
      // Number() would also read '', ' 1', '0x1' or '1e3': only digits with an optional sign are a time.
      const time = Number(text.slice(2));
      if (!DATE_TIME.test(text) || !(Math.abs(time) <= MAX_DATE_TIME))
        throw malformed(serializer, 'a Date tag holds no valid time');
      return new Date(time);
    }
    case TAG_NUMBER:
      switch (text.slice(2)) {
        case 'NaN':
          return Number.NaN;
        case 'Infinity':
          return Number.POSITIVE_INFINITY;
        case '-Infinity':
          return Number.NEGATIVE_INFINITY;
        case '-0':
          return -0;
        default:
          throw malformed(serializer, 'a number tag holds no special number');
      }
    case TAG_UNDEFINED:
      if (text.length === 2) return undefined;
      throw malformed(serializer, 'an undefined tag has trailing characters');
    case TAG_ESCAPED:
      return text.slice(2);
    default:
      throw malformed(serializer, 'a string starts with U+0001 but is no known tag');
  }
}
