/**
 * The errors serializers throw. The manager wraps each one in a `CacheError` (`ENCODE_FAILED` or
 * `DECODE_FAILED`) with the original as `cause`, so these carry what a log reader needs: which
 * serializer, what was wrong, and how to fix it. The type says which kind of problem it is:
 * `TypeError` a value the encoding cannot represent, `RangeError` a configured limit,
 * `SyntaxError` bytes that are not a valid payload.
 */

/** A value (or part of one) this encoding cannot represent faithfully, so it is not stored. */
export function unsupportedValue(serializer: string, what: string, fix: string): TypeError {
  return new TypeError(`[cache-aside] ${serializer} cannot encode ${what}; ${fix}.`);
}

/** A payload, or the value encoded into one, over a configured bound. */
export function overLimit(
  serializer: string,
  what: string,
  limitName: string,
  limit: number,
): RangeError {
  return new RangeError(
    `[cache-aside] ${serializer}: ${what}, over ${limitName} (${limit}); raise ${limitName} if this is expected.`,
  );
}

/** Bytes that cannot be decoded by this serializer (corrupt, truncated, foreign or hostile). */
export function malformed(serializer: string, detail: string, cause?: unknown): SyntaxError {
  return new SyntaxError(`[cache-aside] ${serializer} cannot decode the payload: ${detail}.`, {
    cause,
  });
}

/** The message of whatever was thrown, for wrapping third-party errors. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

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
    throw new RangeError(`[cache-aside] ${name} must be ${range}, got ${String(value)}.`);
  }
  return value;
}
