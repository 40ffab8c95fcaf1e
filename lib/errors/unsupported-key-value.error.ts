import { CacheTypeError } from './cache-type-error';

/**
 * A value that cannot be part of a cache key (a function, a symbol, a circular structure, an
 * object whose state cannot be seen): refused rather than encoded into a key other values share.
 */
export class UnsupportedKeyValueError extends CacheTypeError {
  /** Names the key problem in logs, apart from other configuration errors. */
  override readonly name = 'UnsupportedKeyValueError';
  constructor(
    /** Where the value sits in the arguments, e.g. `argument 0.address`. */
    readonly path: string,
    /** Why the value cannot be part of a key, and what to pass instead. */
    readonly reason: string,
  ) {
    super('ERR_CACHE_ASIDE_INVALID_ARGUMENT', `${path} ${reason}`);
  }
}
