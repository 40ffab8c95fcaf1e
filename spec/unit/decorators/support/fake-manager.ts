import type { GetOptions, SetOptions } from '../../../../lib/manager/cache-aside.options';
import { BatchSizeMismatchError, type CacheManagerPort } from '../../../../lib';

/** What one `get` was asked: the key and the options, with a TTL function already applied where a value was loaded. */
export interface GetCall {
  key: string;
  opts: GetOptions;
}

/**
 * A hand-written stand-in for `CacheAsideManager`, implementing exactly the part the interceptor
 * calls (`CacheManagerPort`) over a Map: a hit returns the stored value; a miss awaits the
 * loader and stores the result unless its TTL (static, or computed from the value) is not
 * positive. Every call is recorded, so a spec can assert what the interceptor asked for.
 */
export class FakeCacheManager implements CacheManagerPort {
  readonly defaultTtl: number;
  readonly store = new Map<string, { value: unknown; ttl: number; tags: readonly string[] }>();
  readonly gets: GetCall[] = [];
  /** Every `getMany`: the keys asked for and the options. */
  readonly getManys: Array<{ keys: readonly string[]; opts: GetOptions }> = [];
  readonly sets: Array<{ key: string; value: unknown; opts: SetOptions }> = [];
  readonly invalidations: Array<readonly string[]> = [];
  readonly patterns: string[] = [];
  readonly tagInvalidations: Array<readonly string[]> = [];
  /** Every operation in order, e.g. `get:user:1`, `set:user:1`, `invalidate:user:1`. */
  readonly log: string[] = [];

  constructor(defaultTtl = 60) {
    this.defaultTtl = defaultTtl;
  }

  async get<T>(
    key: string,
    loader: (key: string) => T | Promise<T>,
    opts: GetOptions<T> = {},
  ): Promise<T> {
    this.gets.push({ key, opts: opts as GetOptions });
    this.log.push(`get:${key}`);
    const entry = this.store.get(key);
    if (entry) return entry.value as T;
    const value = await loader(key);
    const ttl =
      opts.ttl === undefined
        ? this.defaultTtl
        : typeof opts.ttl === 'number'
          ? opts.ttl
          : opts.ttl(value);
    if (typeof ttl === 'number' && ttl > 0)
      this.store.set(key, { value, ttl, tags: opts.tags ?? [] });
    return value;
  }

  /**
   * The contract's `getMany`: values in the order of `keys`, the loader called once with the
   * missing keys (deduplicated, in first-seen order) and checked to return one value per key —
   * else `BatchSizeMismatchError` and nothing stored.
   */
  async getMany<T>(
    keys: readonly string[],
    loader: (missing: string[]) => Promise<readonly T[]> | readonly T[],
    opts: GetOptions<T> = {},
  ): Promise<T[]> {
    this.getManys.push({ keys, opts: opts as GetOptions });
    this.log.push(`getMany:${keys.join('|')}`);
    const missing = [...new Set(keys.filter((k) => !this.store.has(k)))];
    const loaded = new Map<string, T>();
    if (missing.length > 0) {
      const values = await loader(missing);
      // Typed before Array.isArray narrows it to any[] (the check is for untyped loaders).
      const list: readonly T[] = values;
      if (!Array.isArray(values) || values.length !== missing.length) {
        throw new BatchSizeMismatchError(missing.length, Array.isArray(values) ? values.length : 0);
      }
      missing.forEach((key, i) => {
        const value = list[i];
        loaded.set(key, value);
        const ttl =
          opts.ttl === undefined
            ? this.defaultTtl
            : typeof opts.ttl === 'number'
              ? opts.ttl
              : opts.ttl(value);
        if (typeof ttl === 'number' && ttl > 0)
          this.store.set(key, { value, ttl, tags: opts.tags ?? [] });
      });
    }
    return keys.map((key) =>
      loaded.has(key) ? loaded.get(key)! : (this.store.get(key)!.value as T),
    );
  }

  async set(key: string, value: unknown, opts: SetOptions = {}): Promise<void> {
    this.sets.push({ key, value, opts });
    this.log.push(`set:${key}`);
    this.store.set(key, { value, ttl: opts.ttl ?? this.defaultTtl, tags: opts.tags ?? [] });
  }

  async invalidate(keyOrKeys: string | readonly string[]): Promise<number> {
    const keys = typeof keyOrKeys === 'string' ? [keyOrKeys] : keyOrKeys;
    this.invalidations.push(keys);
    this.log.push(`invalidate:${keys.join('|')}`);
    return keys.filter((k) => this.store.delete(k)).length;
  }

  async invalidatePattern(glob: string): Promise<number> {
    this.patterns.push(glob);
    this.log.push(`pattern:${glob}`);
    const matches = globMatcher(glob);
    return [...this.store.keys()].filter((k) => matches.test(k) && this.store.delete(k)).length;
  }

  async invalidateTags(tags: readonly string[]): Promise<number> {
    this.tagInvalidations.push(tags);
    this.log.push(`tags:${tags.join('|')}`);
    let removed = 0;
    for (const [key, entry] of this.store) {
      if (entry.tags.some((t) => tags.includes(t)) && this.store.delete(key)) removed++;
    }
    return removed;
  }

  /** The TTL the last `get` would store `value` with (`undefined`: the manager's default). */
  ttlOfLastGet(value: unknown): number | undefined {
    const ttl = this.gets.at(-1)?.opts.ttl;
    return typeof ttl === 'function' ? ttl(value) : ttl;
  }
}

/** Redis MATCH semantics for the subset the specs use: `*`, `?` and backslash escapes. */
function globMatcher(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '\\') source += escape(glob[++i] ?? '');
    else if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else source += escape(c);
  }
  return new RegExp(`^${source}$`, 's');
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
