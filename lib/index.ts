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
  DEFAULT_LEASE_ON_READ,
  DEFAULT_INVALIDATION_QUEUE_SIZE,
  DEFAULT_INVALIDATION_RETRY_MS,
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_SCAN_COUNT,
  DEFAULT_GET_MANY_CHUNK_SIZE,
} from './manager/cache-aside.options';
export { DEFAULT_FAILURE_THRESHOLD, DEFAULT_COOLDOWN_MS } from './redis/circuit-breaker';
export type {
  CacheAsideOptions,
  GetOptions,
  InvalidateOptions,
  SetOptions,
  TtlOption,
} from './manager/cache-aside.options';
export type { LeaseOnRead } from './manager/leasing-reads';
export type {
  RedisClient,
  IoRedisLikeClient,
  NodeRedisLikeClient,
  NodeRedisLikeCluster,
  NodeRedisLikeSentinel,
  ClientMethod,
} from './redis/redis-client';
export { MemoryStore } from './redis/clients/memory-store';
export type { L1Options } from './l1/local-tier';
export { DEFAULT_L1_HEARTBEAT_MS } from './l1/invalidation-bus';
export type { CircuitBreakerOptions, CircuitState } from './redis/circuit-breaker';

// ── diagnostics channels (node:diagnostics_channel) ──────────────────────────
export { CACHE_CHANNEL_NAMES, observeCacheManagers } from './manager/cache-channels';
export type {
  CacheManagerIdentity,
  CacheManagerSnapshot,
  CacheCallContext,
  CacheGetContext,
  CacheGetManyContext,
  CacheSetContext,
  CacheInvalidateContext,
  CacheInvalidationKind,
  CacheLoadContext,
  CacheLookupOutcome,
  CacheTier,
  CacheErrorMessage,
} from './manager/cache-channels';

// ── errors ───────────────────────────────────────────────────────────────────
export { CacheError } from './errors/cache-error';
export type { CacheErrorCode, CacheOperation } from './errors/cache-error';
export { BatchSizeMismatchError } from './errors/batch-size-mismatch.error';
export { ReentrantLoadError } from './errors/reentrant-load.error';
export { CacheTypeError } from './errors/cache-type-error';
export { CacheRangeError } from './errors/cache-range-error';
export type { ConfigurationErrorCode } from './errors/configuration-error-code';

// ── serializers ──────────────────────────────────────────────────────────────
export type { Serializer } from './serializers/serializer';
export { JsonSerializer, DEFAULT_JSON_MAX_DEPTH } from './serializers/json.serializer';
export type { JsonSerializerOptions } from './serializers/json.serializer';
export { DEFAULT_MAX_PAYLOAD_BYTES, MAX_CODEC_ID_LENGTH } from './serializers/serializer';
export { ClassTransformerSerializer } from './serializers/class-transformer.serializer';
export type {
  ClassTransformerSerializerOptions,
  ClassType,
} from './serializers/class-transformer.serializer';
export {
  MsgpackSerializer,
  DEFAULT_MSGPACK_MAX_DEPTH,
  DEFAULT_MSGPACK_MAX_ITEMS,
  DEFAULT_MSGPACK_MAX_CONTAINERS,
} from './serializers/msgpack.serializer';
export type { MsgpackSerializerOptions } from './serializers/msgpack.serializer';
export {
  CompressedSerializer,
  DEFAULT_COMPRESSION_THRESHOLD,
  DEFAULT_COMPRESSION_ALGORITHM,
  DEFAULT_MAX_INFLATED_BYTES,
  DEFAULT_COMPRESSION_LEVEL,
} from './serializers/compressed.serializer';
export type {
  CompressedSerializerOptions,
  CompressionAlgorithm,
} from './serializers/compressed.serializer';

// ── decorators and interceptor ───────────────────────────────────────────────
export { Cacheable } from './decorators/cacheable.decorator';
export { CachePut } from './decorators/cache-put.decorator';
export { CacheEvict } from './decorators/cache-evict.decorator';
export { CacheTtl } from './decorators/cache-ttl.decorator';
export { CacheConfig } from './decorators/cache-config.decorator';
export type { CacheClassDecorator } from './decorators/cache-config.decorator';
export type { CacheMethodDecorator } from './decorators/method-decorator';
export type {
  CacheableOptions,
  CachePutOptions,
  CacheEvictOptions,
  CacheConfigOptions,
  KeyOption,
  KeyFunction,
  KeysOption,
  TtlSpec,
  TtlFunction,
  ConditionFunction,
  UnlessFunction,
  TagsOption,
  NullTtl,
  TenantFunction,
} from './metadata/cache-metadata';
export { CacheInterceptor } from './interceptor/cache.interceptor';
export type {
  CacheManagerPort,
  NullPolicy,
  PortGetOptions,
  PortSetOptions,
} from './interceptor/manager-port';
export type { AnyClass } from './metadata/any-class';
export type { ManagerScope } from './interceptor/manager-scope';
export { DEFAULT_MANAGER_NAME } from './metadata/metadata-store';
export { managerNamesOf } from './metadata/manager-uses';
export type { CacheManagerUse } from './metadata/manager-uses';
export { UnsupportedKeyValueError } from './errors/unsupported-key-value.error';
export { CacheableMany } from './decorators/cacheable-many.decorator';
export type { CacheableManyOptions } from './metadata/cache-metadata';

// ── types named by the signatures above (so that the API reference can show them) ──
export type { Loader } from './manager/cache-core';
export type { BatchLoader } from './manager/batch-read';
export type { CacheErrorDetails } from './errors/cache-error';
export type { AsyncMethod } from './decorators/method-decorator';
export type { MsgpackLimits } from './errors/msgpack-structure.error';
