import { RedactedError } from './redacted-error';

/**
 * What went wrong, as a stable string a caller can switch on. New codes may be added; the
 * meaning of an existing one never changes.
 */
export type CacheErrorCode =
  /** Redis answered with an error (OOM, WRONGTYPE, a script error…). */
  | 'REDIS_ERROR'
  /** Redis refused the command for the connection's ACL user (NOPERM): fix the user's ACL. */
  | 'REDIS_NO_PERMISSION'
  /** Redis refuses scripts to this user (`-@scripting`): the non-atomic path is taken; said once. */
  | 'SCRIPTING_UNAVAILABLE'
  /** A Redis operation did not answer within `operationTimeoutMs`. */
  | 'REDIS_TIMEOUT'
  /** Redis was not reachable: the client is not ready, or the circuit breaker is open. */
  | 'REDIS_UNAVAILABLE'
  /** A stored entry could not be read back (corrupt, foreign, another codec, an older format). */
  | 'DECODE_FAILED'
  /** The serializer could not encode a value, so it was returned but not stored. */
  | 'ENCODE_FAILED'
  /** The encoded value is larger than `maxValueBytes`, so it was returned but not stored. */
  | 'VALUE_TOO_LARGE'
  /** A batch loader returned a different number of values than keys it was asked for. */
  | 'BATCH_SIZE_MISMATCH'
  /** An invalidation could not reach Redis; it is queued and will be replayed. */
  | 'INVALIDATION_DEFERRED'
  /** The invalidation queue was full, so the oldest pending invalidation was dropped. */
  | 'INVALIDATION_DROPPED'
  /** `close()` could not deliver queued invalidations within `closeTimeoutMs`; they are dropped. */
  | 'INVALIDATION_UNDELIVERED'
  /** A background refresh (eager refresh, grace) failed; the caller was served anyway. */
  | 'REFRESH_FAILED'
  /** The loader did not answer within `hardTimeoutMs` and no old value could answer instead. */
  | 'LOADER_TIMEOUT'
  /** A loader read the key it was loading (directly or through a cycle): it would have waited for itself. */
  | 'REENTRANT_LOAD'
  /**
   * A load took longer than `leaseTtlMs`: its lease had expired, so the value was returned but
   * not stored (storing it unguarded could land over a newer write). Raise `leaseTtlMs` above
   * the slowest load. Reported once per load, or per `getMany` batch.
   */
  | 'LEASE_EXPIRED'
  /** A callback of the caller's (a `ttl` function, a decorator's `unless`) threw; the value was returned but not stored. */
  | 'CALLBACK_FAILED';

/**
 * Codes whose cause is the application's own error (its callback, its loader): passed on as it
 * is, so the application sees what it threw. Every other cause comes from Redis, a client or a
 * decoder and is redacted (see RedactedError): errors are safe to log.
 */
const APPLICATION_CAUSES: ReadonlySet<CacheErrorCode> = new Set([
  'CALLBACK_FAILED',
  'REFRESH_FAILED',
]);

function causeFor(code: CacheErrorCode, cause: unknown): unknown {
  if (cause === undefined || APPLICATION_CAUSES.has(code)) return cause;
  return new RedactedError(cause);
}

/** Which manager operation an error belongs to. */
export type CacheOperation =
  | 'get'
  | 'set'
  | 'getMany'
  | 'invalidate'
  | 'invalidatePattern'
  | 'invalidateTags'
  | 'getTtl'
  | 'setTtl'
  | 'refresh'
  | 'close';

/** Where a `CacheError` happened and what caused it; every field is optional. */
export interface CacheErrorDetails {
  /** The public operation that failed (`get`, `set`, `invalidateTags`, …). */
  operation?: CacheOperation;
  /** The caller's key (without the manager's prefix), when the failure concerns one. */
  key?: string;
  /** The underlying error (a Redis or serializer failure), kept as the standard `cause`. */
  cause?: unknown;
}

/**
 * The one error type the manager reports through its `'error'` event. It carries a `code` to
 * switch on, the `operation` and `key` it happened in, and the original error as `cause`.
 */
export class CacheError extends Error {
  /** `'CacheError'`, or the subclass's name: what logs show first. */
  override readonly name: string = 'CacheError';
  /** What went wrong, stable across versions: switch on this, not on the message. */
  readonly code: CacheErrorCode;
  /** The public operation that failed, when known. */
  readonly operation?: CacheOperation;
  /** The caller's key (without the prefix) the failure concerns, when there is one. */
  readonly key?: string;

  constructor(code: CacheErrorCode, message: string, details: CacheErrorDetails = {}) {
    super(message.startsWith('[cache-aside]') ? message : `[cache-aside] ${message}`, {
      cause: causeFor(code, details.cause),
    });
    this.code = code;
    this.operation = details.operation;
    this.key = details.key;
  }
}
