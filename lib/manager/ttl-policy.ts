import type { TtlOption } from './cache-aside.options';

/** When an entry stops being fresh, and when Redis should drop it. */
export interface Expiry {
  /** Logical expiry, ms since the epoch (`Infinity`: never). */
  readonly freshUntil: number;
  /** Redis `PX` in milliseconds: the fresh part plus any grace window; `0` for no expiry. */
  readonly px: number;
}

/**
 * Turns a TTL in seconds into the stored expiry. Jitter only ever shortens the TTL (by up to
 * `jitter` of it), so a TTL stays an upper bound; grace is added to the physical expiry only.
 */
export function expiryOf(
  ttlSeconds: number,
  graceSeconds: number,
  jitter: number,
  random: () => number,
  now: number,
): Expiry {
  if (ttlSeconds === Infinity) return { freshUntil: Infinity, px: 0 };
  const ttlMs = ttlSeconds * 1000;
  // Clamped: a random source outside [0, 1) must not lengthen a TTL.
  const draw = Math.min(Math.max(random(), 0), 1);
  const freshMs = Math.max(1, Math.floor(ttlMs - ttlMs * jitter * draw));
  return { freshUntil: now + freshMs, px: freshMs + Math.ceil(graceSeconds * 1000) };
}

/** The TTL of one result: static, or computed from it (`<= 0` or not a number: do not store). */
export function ttlFor<T>(option: TtlOption<T> | undefined, fallback: number, value: T): number {
  if (option === undefined) return fallback;
  if (typeof option === 'number') return option;
  const computed = option(value);
  return typeof computed === 'number' && !Number.isNaN(computed) ? computed : 0;
}

/**
 * Negative caching: for a `null` / `undefined` result, the call's `nullTtl`, else the manager's
 * (`false`: do not store it). Undefined for any other value, or when neither is set: the value's
 * TTL applies as to any other.
 */
export function nullTtlOf(
  value: unknown,
  callNullTtl: number | false | undefined,
  managerNullTtl: number | false | undefined,
): number | false | undefined {
  if (value !== null && value !== undefined) return undefined;
  return callNullTtl ?? managerNullTtl;
}
