import { createHash } from 'node:crypto';
import { UnsupportedKeyValueError } from '../errors/unsupported-key-value.error';

/**
 * The stable, type-aware encoding of a method's arguments behind default cache keys.
 *
 * Two argument lists get the same encoding exactly when they are equal up to the order of object
 * keys (and of Map and Set entries); everything else differs, because every value carries its
 * type and every string its length:
 *
 * | value                | encoding                          | example                  |
 * | -------------------- | --------------------------------- | ------------------------ |
 * | undefined / null     | `U` / `N`                         |                          |
 * | true / false         | `T` / `F`                         |                          |
 * | number               | `n` + `String(n)` (`-0` as `0`)   | `n42`, `nNaN`            |
 * | bigint               | `b` + digits                      | `b-7`                    |
 * | string               | `s` + length + `:` + text         | `s5:alice`               |
 * | string, unpaired surrogates | `q` + length + `:` + hex code units | `q1:d800`     |
 * | Date                 | `D` + ISO time (`DNaN` if invalid) | `D2024-01-01T00:00:00.000Z` |
 * | Array                | `[` items, comma-separated `]`    | `[n1,n2]`                |
 * | plain object         | `(` `key=value`, keys sorted `)`  | `(s1:a=n1,s1:b=n2)`      |
 * | Map                  | `M(` `key=value`, sorted `)`      | `M(n1=s1:x)`             |
 * | Set                  | `S(` items, sorted `)`            | `S(n1,n2)`               |
 * | RegExp               | `r` + source + flags, as strings  | `rs2:a+s1:g`             |
 * | typed array / Buffer | `B` + class name + `:` + hex      | `Bs6:Buffer:0aff`        |
 * | object with toJSON() | `j` + class name + its toJSON()   | `js3:URL(...)`           |
 * | class instance       | `i` + class name + own enumerable properties as an object | |
 *
 * Inside strings `%`, `{` and `}` are percent-encoded (and the length counts the encoded text),
 * so a user value can never open a Redis Cluster hash tag and choose the slot of the key.
 * Functions, symbols, circular structures, and objects whose state cannot be seen (class
 * instances without enumerable properties, promises, weak collections, boxed primitives) are
 * refused with a `TypeError` rather than encoded into a key that other values would share.
 */

/** Encodings longer than this are hashed (with a readable head kept). */
export const MAX_PLAIN_ENCODING = 160;
/** Characters of a long encoding kept in front of its digest. */
export const HASHED_HEAD_LENGTH = 120;
const MAX_DEPTH = 64;

/**
 * The arguments' encoding, as it appears after `Class.method:` in a default key: readable while
 * short; past `MAX_PLAIN_ENCODING` characters, its head, `~`, and the SHA-256 of the whole
 * (base64url). A hashed form is always longer than any plain one, so the two never meet.
 */
export function encodeArguments(args: readonly unknown[]): string {
  const encoded = args.map((arg, i) => encodeValue(arg, `argument ${i}`, [])).join(',');
  return encoded.length <= MAX_PLAIN_ENCODING ? encoded : hashed(encoded);
}

/** One value's encoding (no hashing). */
export function encodeValue(value: unknown, path: string, ancestors: object[]): string {
  switch (typeof value) {
    case 'undefined':
      return 'U';
    case 'boolean':
      return value ? 'T' : 'F';
    case 'number':
      return `n${Object.is(value, -0) ? '0' : String(value)}`;
    case 'bigint':
      return `b${value.toString()}`;
    case 'string':
      return encodeString(value);
    case 'symbol':
      throw new UnsupportedKeyValueError(
        path,
        'is a symbol, which has no stable representation in a key.',
      );
    case 'function':
      throw new UnsupportedKeyValueError(
        path,
        `is a function (${value.name || 'anonymous'}), which cannot be part of a key.`,
      );
    case 'object':
      return value === null ? 'N' : encodeObject(value, path, ancestors);
    default:
      throw new UnsupportedKeyValueError(path, `has the unknown type ${typeof value}.`);
  }
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function encodeString(text: string): string {
  if (UNPAIRED_SURROGATE.test(text)) {
    let hex = '';
    for (let i = 0; i < text.length; i++) hex += text.charCodeAt(i).toString(16).padStart(4, '0');
    return `q${text.length}:${hex}`;
  }
  const escaped = escapeKeyText(text);
  return `s${escaped.length}:${escaped}`;
}

/** Not global: `test` keeps no state between calls. Hoisted, as this runs on every keyed call. */
const KEY_TEXT_SPECIAL = /[%{}]/;

/** Percent-encodes `%`, `{` and `}`: injective, and leaves no brace to form a Cluster hash tag. */
export function escapeKeyText(text: string): string {
  return KEY_TEXT_SPECIAL.test(text) ? text.replace(/[%{}]/g, percentEncode) : text;
}

/**
 * Anything that is not plain text in a key segment: ASCII other than letters, digits, `-`, `_`
 * and `.`, and any surrogate (paired ones are let through by `encodeKeySegment`).
 */
const SEGMENT_SPECIAL = /[^A-Za-z0-9\-_.\u0080-\uD7FF\uE000-\uFFFF]/;

/**
 * A value (or namespace, or tenant) as one segment of a key, encoded injectively: letters,
 * digits, `-`, `_`, `.` and well-formed non-ASCII text stay as they are; every other ASCII
 * character becomes `%XX` (so a value holds no `:`, `*`, `{`, or `%` of its own and cannot reach
 * into a neighbouring segment, a pattern or a Cluster hash tag), and a lone surrogate becomes
 * `%uXXXX` (which UTF-8 would otherwise turn into U+FFFD, merging distinct values into one key).
 */
export function encodeKeySegment(text: string): string {
  if (!SEGMENT_SPECIAL.test(text)) return text;
  // Plain runs are copied as slices and only the escapes are built: a key argument such as
  // `user:42` or an email address costs one pass, not a string and a regex test per character.
  let out = '';
  let plainFrom = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let escape: string | undefined;
    if (code < 0x80) escape = ASCII_ESCAPES[code];
    else if (code >= 0xd800 && code <= 0xdfff) {
      if (code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
        i++; // a well-formed pair stays as it is
        continue;
      }
      escape = `%u${code.toString(16).toUpperCase()}`;
    }
    if (escape === undefined) continue;
    out += text.slice(plainFrom, i) + escape;
    plainFrom = i + 1;
  }
  return plainFrom === 0 ? text : out + text.slice(plainFrom);
}

/** `%XX` for each ASCII code a segment escapes; undefined for letters, digits, `-`, `_`, `.`. */
const ASCII_ESCAPES: ReadonlyArray<string | undefined> = Array.from({ length: 0x80 }, (_, code) =>
  /[A-Za-z0-9\-_.]/.test(String.fromCharCode(code))
    ? undefined
    : `%${code.toString(16).toUpperCase().padStart(2, '0')}`,
);

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function percentEncode(c: string): string {
  return c === '%' ? '%25' : c === '{' ? '%7B' : '%7D';
}

function encodeObject(value: object, path: string, ancestors: object[]): string {
  if (ancestors.includes(value)) {
    throw new UnsupportedKeyValueError(
      path,
      'refers back to one of its containers (a circular structure).',
    );
  }
  if (ancestors.length >= MAX_DEPTH) {
    throw new UnsupportedKeyValueError(path, `is nested more than ${MAX_DEPTH} levels deep.`);
  }
  ancestors.push(value);
  try {
    return encodeContainer(value, path, ancestors);
  } finally {
    ancestors.pop();
  }
}

function encodeContainer(value: object, path: string, ancestors: object[]): string {
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (let i = 0; i < value.length; i++)
      items.push(encodeValue(value[i], `${path}[${i}]`, ancestors));
    return `[${items.join(',')}]`;
  }
  if (value instanceof Date) {
    const time = value.getTime();
    return `D${Number.isNaN(time) ? 'NaN' : value.toISOString()}`;
  }
  if (value instanceof Map) {
    const entries = [...value].map(
      ([k, v], i) =>
        `${encodeValue(k, `${path} key #${i}`, ancestors)}=${encodeValue(v, `${path}.get(…)`, ancestors)}`,
    );
    return `M(${entries.sort(compare).join(',')})`;
  }
  if (value instanceof Set) {
    const items = [...value].map((v, i) => encodeValue(v, `${path} item #${i}`, ancestors));
    return `S(${items.sort(compare).join(',')})`;
  }
  if (value instanceof RegExp) return `r${encodeString(value.source)}${encodeString(value.flags)}`;
  if (ArrayBuffer.isView(value)) {
    return `B${encodeString(className(value))}:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  }
  refuseOpaque(value, path);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return encodeProperties(value, path, ancestors);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    return `j${encodeString(className(value))}${encodeValue(toJSON.call(value), `${path}.toJSON()`, ancestors)}`;
  }
  if (Object.keys(value).length === 0) {
    throw new UnsupportedKeyValueError(
      path,
      `is a ${className(value)} with no enumerable properties, so instances with different state ` +
        '(private fields, getters) would share a key; give the class a toJSON() or the method a key.',
    );
  }
  return `i${encodeString(className(value))}${encodeProperties(value, path, ancestors)}`;
}

function encodeProperties(value: object, path: string, ancestors: object[]): string {
  if (
    Object.getOwnPropertySymbols(value).some((s) =>
      Object.prototype.propertyIsEnumerable.call(value, s),
    )
  ) {
    throw new UnsupportedKeyValueError(
      path,
      'has symbol-keyed properties, which cannot be part of a key.',
    );
  }
  const record = value as Record<string, unknown>;
  const entries = Object.keys(value)
    .sort(compare)
    .map((k) => `${encodeString(k)}=${encodeValue(record[k], `${path}.${k}`, ancestors)}`);
  return `(${entries.join(',')})`;
}

/** Built-ins whose content a key cannot see, by constructor, with how a message names them. */
const OPAQUE: ReadonlyArray<[abstract new (...args: never[]) => object, string]> = [
  [Promise, 'a Promise'],
  [WeakMap, 'a WeakMap'],
  [WeakSet, 'a WeakSet'],
  [WeakRef, 'a WeakRef'],
  [ArrayBuffer, 'an ArrayBuffer (pass a Buffer or typed array)'],
  [Error, 'an Error'],
  [Number, 'a boxed Number'],
  [String, 'a boxed String'],
  [Boolean, 'a boxed Boolean'],
];

function refuseOpaque(value: object, path: string): void {
  for (const [type, what] of OPAQUE) {
    if (value instanceof type) {
      throw new UnsupportedKeyValueError(
        path,
        `is ${what}, whose content cannot be part of a key.`,
      );
    }
  }
}

function className(value: object): string {
  const ctor: unknown = (value as { constructor?: unknown }).constructor;
  return typeof ctor === 'function' && ctor.name ? ctor.name : 'Object';
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function hashed(encoded: string): string {
  let head = encoded.slice(0, HASHED_HEAD_LENGTH);
  const last = head.charCodeAt(head.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  return `${head}~${createHash('sha256').update(encoded).digest('base64url')}`;
}
