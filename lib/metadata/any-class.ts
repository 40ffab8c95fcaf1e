/**
 * A class as the cache decorators see it: a constructor of any signature, used as an identity
 * (weak-map key) and for its `name` in keys and messages. Never called by the library.
 */
export type AnyClass = abstract new (...args: never[]) => unknown;

/** Every function can be a class at run time: `typeof` is all JavaScript offers to tell. */
export function isClass(value: unknown): value is AnyClass {
  return typeof value === 'function';
}
