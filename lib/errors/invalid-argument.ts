/**
 * Checks of what callers pass in, run at the earliest point (construction, decoration, the start
 * of a call) so that a mistake is a clear `TypeError` / `RangeError` naming the argument and the
 * fix, rather than a confusing failure deep inside Redis or the serializer.
 */

import { CacheRangeError } from './cache-range-error';
import { CacheTypeError } from './cache-type-error';

const PREFIX = '[cache-aside]';
const INVALID = 'ERR_CACHE_ASIDE_INVALID_ARGUMENT';
const RANGE = 'ERR_CACHE_ASIDE_OUT_OF_RANGE';

/** A key must be a non-empty string: anything else would collide or fail in Redis. */
export function assertKey(key: unknown, argumentName = 'key'): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new CacheTypeError(
      INVALID,
      `${PREFIX} ${argumentName} must be a non-empty string, got ${describe(key)}.`,
    );
  }
}

/** The longest finite TTL: its milliseconds must still be an exact integer for Redis `PX`. */
export const MAX_TTL_SECONDS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

/** The longest timer Node can set (larger delays fire after 1 ms). */
export const MAX_TIMER_MS = 2_147_483_647;

/** A TTL is a positive number of seconds, or `Infinity` for "no expiry". */
export function assertTtl(ttl: unknown, argumentName = 'ttl'): asserts ttl is number {
  if (
    typeof ttl !== 'number' ||
    Number.isNaN(ttl) ||
    ttl <= 0 ||
    (ttl > MAX_TTL_SECONDS && ttl !== Infinity)
  ) {
    throw new CacheRangeError(
      RANGE,
      `${PREFIX} ${argumentName} must be a positive number of seconds up to ${MAX_TTL_SECONDS} (or ` +
        `Infinity for no expiry), got ${describe(ttl)}.`,
    );
  }
}

/** A whole number >= 1 (a count, a size in Redis commands that take integers). */
export function assertPositiveInteger(
  value: unknown,
  argumentName: string,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new CacheRangeError(
      RANGE,
      `${PREFIX} ${argumentName} must be a whole number >= 1, got ${describe(value)}.`,
    );
  }
}

/** Milliseconds for a timer: positive, and no longer than Node's timers can wait. */
export function assertTimeout(value: unknown, argumentName: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMER_MS) {
    throw new CacheRangeError(
      RANGE,
      `${PREFIX} ${argumentName} must be a number of milliseconds from 1 to ${MAX_TIMER_MS}, got ${describe(value)}.`,
    );
  }
}

/** Tags: an array of non-empty strings, at most 255 of them, each at most 255 bytes of UTF-8. */
export function assertTags(
  tags: unknown,
  argumentName = 'tags',
): asserts tags is readonly string[] {
  if (!Array.isArray(tags)) {
    throw new CacheTypeError(
      INVALID,
      `${PREFIX} ${argumentName} must be an array of strings, got ${describe(tags)}.`,
    );
  }
  if (tags.length > 255)
    throw new CacheRangeError(
      RANGE,
      `${PREFIX} ${argumentName} can hold at most 255 tags, got ${tags.length}.`,
    );
  tags.forEach((tag, i) => {
    assertKey(tag, `${argumentName}[${i}]`);
    if (Buffer.byteLength(tag) > 255) {
      throw new CacheRangeError(
        RANGE,
        `${PREFIX} ${argumentName}[${i}] must be at most 255 bytes of UTF-8, got ${Buffer.byteLength(tag)}.`,
      );
    }
  });
}

/** A non-negative finite number (a grace window, a fraction, a bound). */
export function assertNonNegative(value: unknown, argumentName: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new CacheRangeError(
      RANGE,
      `${PREFIX} ${argumentName} must be a finite number >= 0, got ${describe(value)}.`,
    );
  }
}

/** A positive finite number (a timeout, a size limit, a count). */
export function assertPositive(value: unknown, argumentName: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new CacheRangeError(
      RANGE,
      `${PREFIX} ${argumentName} must be a finite number > 0, got ${describe(value)}.`,
    );
  }
}

/** A fraction strictly between 0 and 1 (jitter, eager refresh point). */
export function assertFraction(value: unknown, argumentName: string): asserts value is number {
  if (typeof value !== 'number' || !(value > 0 && value < 1)) {
    throw new CacheRangeError(
      RANGE,
      `${PREFIX} ${argumentName} must be a number between 0 and 1 (exclusive), got ${describe(value)}.`,
    );
  }
}

export function assertFunction(
  value: unknown,
  argumentName: string,
): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') {
    throw new CacheTypeError(
      INVALID,
      `${PREFIX} ${argumentName} must be a function, got ${describe(value)}.`,
    );
  }
}

/** A short, safe description of a value for an error message. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return value.length === 0 ? 'an empty string' : `"${value}"`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}
