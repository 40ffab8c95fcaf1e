import { CacheRangeError } from './cache-range-error';
import { CacheTypeError } from './cache-type-error';

/**
 * The errors serializers throw. The manager wraps each one in a `CacheError` (`ENCODE_FAILED` or
 * `DECODE_FAILED`) with the original as `cause`, so these carry what a log reader needs: which
 * serializer, what was wrong, and how to fix it. The type says which kind of problem it is:
 * `TypeError` (a `CacheTypeError`) a value the encoding cannot represent, `RangeError` (a
 * `CacheRangeError`) a configured limit,
 * `SyntaxError` bytes that are not a valid payload.
 */

/** A value (or part of one) this encoding cannot represent faithfully, so it is not stored. */
export function unsupportedValue(serializer: string, what: string, fix: string): CacheTypeError {
  return new CacheTypeError(
    'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
    `${serializer} cannot encode ${what}; ${fix}.`,
  );
}

/** A payload, or the value encoded into one, over a configured bound. */
export function overLimit(
  serializer: string,
  what: string,
  limitName: string,
  limit: number,
): CacheRangeError {
  return new CacheRangeError(
    'ERR_CACHE_ASIDE_OUT_OF_RANGE',
    `${serializer}: ${what}, over ${limitName} (${limit}); raise ${limitName} if this is expected.`,
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
