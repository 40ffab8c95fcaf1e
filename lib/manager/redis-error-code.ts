import type { CacheErrorCode } from '../errors/cache-error';
import { DeadlineExceededError } from '../errors/deadline-exceeded.error';
import { safeMessage } from '../errors/redacted-error';
import { isReplyError } from '../redis/redis-errors';

/** The `CacheError` code for a failure of a Redis command (the Redis layer does not know codes). */
export function errorCodeOf(error: unknown): CacheErrorCode {
  if (error instanceof DeadlineExceededError) return 'REDIS_TIMEOUT';
  if (isReplyError(error)) {
    // An ACL refusal is configuration, not an outage: retrying cannot help, the fix is the ACL.
    return (error as Error).message.startsWith('NOPERM') ? 'REDIS_NO_PERMISSION' : 'REDIS_ERROR';
  }
  return 'REDIS_UNAVAILABLE';
}

/** What to say about a failed Redis command, by its code (no command argument, no value). */
export function redisFailureMessage(code: CacheErrorCode, error: unknown): string {
  switch (code) {
    case 'REDIS_TIMEOUT':
      return 'Redis did not answer within operationTimeoutMs; served without the cache';
    case 'REDIS_NO_PERMISSION':
      return (
        "Redis refused the command for this user's ACL (NOPERM); served without the cache. " +
        "Allow the manager's prefix: ACL SETUSER <user> ~<keyPrefix>* &<keyPrefix>* (see docs/security.md)"
      );
    case 'REDIS_ERROR':
      // The reply's text up to its first quote: Redis quotes what it echoes of a command.
      return `Redis answered with an error (${safeMessage((error as Error).message)}); served without the cache`;
    default:
      return 'Redis is unreachable; served without the cache';
  }
}
