import { types } from 'node:util';

/**
 * Whether `JSON.stringify(value)` alone writes what the tagging encoder of `json-codec.ts`
 * would: the value holds nothing but plain objects and arrays (nested at most `maxDepth` deep),
 * strings that do not start with the tag mark U+0001, finite numbers other than `-0`, booleans,
 * `null`, and `undefined` only as an object's property (which both leave out). No `toJSON`
 * anywhere, no class instance, no Date, and no key `__proto__` or `constructor` (so the text
 * needs no prototype-key check).
 *
 * JSON.stringify with a replacer function calls back into JavaScript for every key and value;
 * for the common record this walk and a plain `JSON.stringify` cost about a third of that. A
 * value it does not vouch for (or whose walk throws: a getter, a stack too shallow for a large
 * configured depth) takes the tagging encoder, which also gives the precise error. Values are
 * read twice (the walk, then JSON.stringify), as the tagging encoder also reads them twice: a
 * getter must answer the same both times for what is stored to be what was returned.
 */
export function isPlainJson(value: unknown, maxDepth: number): boolean {
  try {
    return plain(value, maxDepth);
  } catch {
    return false;
  }
}

const MARK = 0x01;
const { isProxy } = types;
const objectPrototype = Object.prototype;
const arrayPrototype = Array.prototype;

/** `levelsLeft`: containers that may still open at this level and below. */
function plain(value: unknown, levelsLeft: number): boolean {
  switch (typeof value) {
    case 'string':
      return value.charCodeAt(0) !== MARK;
    case 'number':
      return value - value === 0 && (value !== 0 || 1 / value > 0);
    case 'boolean':
      return true;
    case 'object':
      if (value === null) return true;
      if (levelsLeft === 0) return false;
      return Array.isArray(value)
        ? plainArray(value, levelsLeft - 1)
        : plainObject(value, levelsLeft - 1);
    default:
      return false;
  }
}

function plainArray(array: unknown[], levelsLeft: number): boolean {
  if (isProxy(array) || Object.getPrototypeOf(array) !== arrayPrototype || 'toJSON' in array)
    return false;
  for (let i = 0; i < array.length; i++) {
    // A hole or an undefined element: JSON writes null, the encoder a tag.
    if (!plain(array[i], levelsLeft)) return false;
  }
  return true;
}

function plainObject(object: object, levelsLeft: number): boolean {
  // A Proxy's traps could answer the walk one way and JSON.stringify another.
  if (isProxy(object)) return false;
  const proto: unknown = Object.getPrototypeOf(object);
  if ((proto !== objectPrototype && proto !== null) || 'toJSON' in object) return false;
  const record = object as Record<string, unknown>;
  // for-in with an own check visits what Object.keys lists (own enumerable string keys), without
  // allocating the array: an inherited enumerable key exists only on a polluted Object.prototype.
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    // Keys the decoder refuses (secure-json-parse's rules): the tagging encoder words the refusal.
    if (key === '__proto__' || key === 'constructor') return false;
    const item = record[key];
    if (item !== undefined && !plain(item, levelsLeft)) return false;
  }
  return true;
}
