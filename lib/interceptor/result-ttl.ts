import type { TtlSpec, UnlessFunction } from '../metadata/cache-metadata';

/**
 * The TTL of a result, resolved by one rule for `@Cacheable`, `@CacheableMany` and `@CachePut`:
 * `unless` vetoes it (`0`), a TTL function is applied to the result and the arguments (anything
 * but a positive number keeps the result out: `0`), fixed seconds stand, and `undefined` means
 * the manager's default. The precedence of the spec itself (`@CacheTtl` > the decorator's `ttl` >
 * `@CacheConfig`) is the metadata reader's `ttlOf`.
 */
export class ResultTtl {
  /** Seconds for every result (or `undefined`: the manager's default), when nothing depends on the result. */
  readonly fixed: number | undefined;
  /** The TTL depends on the result (a TTL function, or `unless`). */
  readonly dynamic: boolean;

  constructor(
    private readonly spec: TtlSpec | undefined,
    private readonly unless: UnlessFunction | undefined,
  ) {
    this.dynamic = typeof spec === 'function' || unless !== undefined;
    this.fixed = typeof spec === 'function' ? undefined : spec;
  }

  /** Seconds for `value`, produced by a call with `thisArg` and `args`; `0`: do not store it. */
  of(thisArg: unknown, args: readonly unknown[], value: unknown): number | undefined {
    if (this.unless !== undefined && this.unless.call(thisArg, value, ...args)) return 0;
    const spec = this.spec;
    if (typeof spec !== 'function') return spec;
    const ttl: unknown = spec.call(thisArg, value, ...args);
    return typeof ttl === 'number' && ttl > 0 ? ttl : 0;
  }
}
