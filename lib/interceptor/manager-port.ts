import { CacheTypeError } from '../errors/cache-type-error';
import type { GetOptions, InvalidateOptions, SetOptions } from '../manager/cache-aside.options';

/** The null-result policy the interceptor passes with a read or a write (the manager applies it). */
export interface NullPolicy {
  /** `false`: do not store null/undefined; seconds: store them that long. */
  nullTtl?: number | false;
}

/** Options of a read as the interceptor passes them. */
export type PortGetOptions<T = unknown> = GetOptions<T> & NullPolicy;
/** Options of a write as the interceptor passes them. */
export type PortSetOptions = SetOptions & NullPolicy;

/**
 * Every write and invalidation the interceptor makes passes `label: 'Class.method'`, so the
 * manager's channels name the decorated method (as `GetOptions.label` does for reads).
 *
 * What the interceptor needs of a cache manager. `CacheAsideManager` satisfies it; so can a
 * test double. Declared here, on the caller's side, so that the manager never depends on the
 * decorators and a fake needs only these members.
 */
export interface CacheManagerPort {
  /** Seconds; used when a decorated method's TTL depends on its result but no TTL is configured. */
  readonly defaultTtl: number;
  /** Reads through the cache: the stored value, or `loader`'s result stored for next time (`CacheAsideManager.get`). */
  get<T>(
    key: string,
    loader: (key: string) => T | Promise<T>,
    opts?: PortGetOptions<T>,
  ): Promise<T>;
  /**
   * Needed by `@CacheableMany` only (checked when such a method is first called), so that a
   * test double of the other decorators need not implement it.
   */
  getMany?<T>(
    keys: readonly string[],
    loader: (missing: string[]) => Promise<readonly T[]> | readonly T[],
    opts?: PortGetOptions<T>,
  ): Promise<T[]>;
  /** Stores a value outright, for `@CachePut`. */
  set(key: string, value: unknown, opts?: PortSetOptions): Promise<void>;
  /** Removes entries by key, for `@CacheEvict({ key | keys })`; resolves to how many were removed. */
  invalidate(keyOrKeys: string | readonly string[], opts?: InvalidateOptions): Promise<number>;
  /** Removes entries whose key matches a glob, for `@CacheEvict({ pattern | allEntries })`. */
  invalidatePattern(glob: string, opts?: InvalidateOptions): Promise<number>;
  /** Stops serving every entry stored with one of the tags, for `@CacheEvict({ tags })`. */
  invalidateTags(tags: readonly string[], opts?: InvalidateOptions): Promise<number>;
}

const REQUIRED_METHODS = [
  'get',
  'set',
  'invalidate',
  'invalidatePattern',
  'invalidateTags',
] as const;

export function assertManagerPort(value: unknown): asserts value is CacheManagerPort {
  const candidate = value as Record<string, unknown> | null;
  const missing =
    candidate === null || typeof candidate !== 'object'
      ? [...REQUIRED_METHODS]
      : REQUIRED_METHODS.filter((m) => typeof candidate[m] !== 'function');
  if (missing.length > 0) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      `CacheInterceptor.use() needs a cache manager (a CacheAsideManager); the value ` +
        `given lacks ${missing.join(', ')}.`,
    );
  }
}
