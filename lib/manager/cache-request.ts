import type { Codec } from '../entry/codec';
import type { CacheOperation } from '../errors/cache-error';
import type { GetOptions } from './cache-aside.options';

/**
 * One call as the manager's parts see it, built once where the call enters (`get` past its hit
 * path, each key of `getMany` that is loaded, `set`) and handed down instead of a row of
 * positional arguments: the key as the caller gave it and as Redis knows it never travel apart.
 */
export interface CacheRequest<T = unknown> {
  /** The key as the caller gave it (in events, errors and statistics). */
  readonly key: string;
  /** The key in Redis: the manager's prefix plus `key`. */
  readonly fullKey: string;
  readonly codec: Codec;
  readonly opts: GetOptions<T>;
  /** The public verb this request serves, named in events and errors. */
  readonly operation: CacheOperation;
  /** Groups statistics (`opts.label`, read once). */
  readonly label: string | undefined;
}

/** A request for `key` (whose prefixed form is `fullKey`). */
export function requestOf<T>(
  key: string,
  fullKey: string,
  codec: Codec,
  opts: GetOptions<T>,
  operation: CacheOperation,
): CacheRequest<T> {
  return { key, fullKey, codec, opts, operation, label: opts.label };
}
