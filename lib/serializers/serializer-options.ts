import { CacheRangeError } from '../errors/cache-range-error';

/** Checks of the numeric options serializers take (sizes, counts, levels). */

/** Checks a numeric option: a positive integer (sizes, counts). */
export function positiveInteger(value: unknown, name: string, fallback: number): number {
  return integerOption(value, name, fallback, 1, Number.MAX_SAFE_INTEGER);
}

/** Checks a numeric option: an integer from `min` to `max`, or `fallback` when not given. */
export function integerOption(
  value: unknown,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range =
      max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw new CacheRangeError(
      'ERR_CACHE_ASIDE_OUT_OF_RANGE',
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- any value a JavaScript caller passed, shown as String() shows it
      `${name} must be ${range}, got ${String(value)}.`,
    );
  }
  return value;
}
