import type { CacheErrorCode } from '../errors/cache-error';
import { DeadlineExceededError } from '../errors/deadline-exceeded.error';
import { isReplyError } from '../redis/redis-errors';

/** The `CacheError` code for a failure of a Redis command (the Redis layer does not know codes). */
export function errorCodeOf(error: unknown): CacheErrorCode {
  if (error instanceof DeadlineExceededError) return 'REDIS_TIMEOUT';
  if (isReplyError(error)) return 'REDIS_ERROR';
  return 'REDIS_UNAVAILABLE';
}
