/**
 * The public surface of cache-aside. Each export is named on purpose: what is not listed here
 * is internal and may change without notice.
 */

// ── manager ──────────────────────────────────────────────────────────────────
export { CacheAsideManager } from './manager/cache-aside.manager';
export type { CacheStats, MethodStats } from './manager/stats';
export type { CacheEvents, CacheEventName } from './manager/cache-events';
export {
  DEFAULT_KEY_PREFIX,
  DEFAULT_TTL,
  DEFAULT_OPERATION_TIMEOUT_MS,
  DEFAULT_TTL_JITTER,
  DEFAULT_MAX_VALUE_BYTES,
  DEFAULT_LEASE_TTL_MS,
} from './manager/cache-aside.options';
export type { CacheAsideOptions, GetOptions, SetOptions, TtlOption } from './manager/cache-aside.options';
export type { RedisClient } from './redis/redis-client';
export type { CircuitBreakerOptions, CircuitState } from './redis/circuit-breaker';

// ── errors ───────────────────────────────────────────────────────────────────
export { CacheError } from './errors/cache-error';
export type { CacheErrorCode, CacheOperation } from './errors/cache-error';
export { BatchSizeMismatchError } from './errors/batch-size-mismatch.error';

// ── serializers (section owned by the serializers work) ──────────────────────
export type { Serializer } from './serializers/serializer';
export { JsonSerializer } from './serializers/json.serializer';
// serializers:end

// ── decorators and interceptor (section owned by the decorators work) ────────
// decorators:end
