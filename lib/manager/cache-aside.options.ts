import {
  assertFraction,
  assertFunction,
  assertNonNegative,
  assertPositive,
  assertPositiveInteger,
  assertTags,
  assertTimeout,
  assertTtl,
  describe,
} from '../errors/invalid-argument';
import type { L1Options } from '../l1/local-tier';
import type { CircuitBreakerOptions } from '../redis/circuit-breaker';
import { assertRedisClient, type RedisClient } from '../redis/redis-client';
import { JsonSerializer } from '../serializers/json.serializer';
import { assertSerializer, type Serializer } from '../serializers/serializer';

/** @default 'cache:' */
export const DEFAULT_KEY_PREFIX = 'cache:';
/** Seconds. @default 60 */
export const DEFAULT_TTL = 60;
/** Milliseconds a single Redis command may take before the call is served without it. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 200;
/** Fraction by which a TTL may be shortened at random, so entries written together expire apart. */
export const DEFAULT_TTL_JITTER = 0.05;
/** Encoded values above this size are returned but not stored. */
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;
/** How long one process's load lease keeps other processes waiting for its result. */
export const DEFAULT_LEASE_TTL_MS = 5000;
/** Invalidations kept for replay while Redis is unreachable. */
export const DEFAULT_INVALIDATION_QUEUE_SIZE = 10_000;
/** Milliseconds between replays of queued invalidations while Redis stays unreachable. */
export const DEFAULT_INVALIDATION_RETRY_MS = 1000;
/** SCAN COUNT hint and UNLINK batch size for pattern invalidation. */
export const DEFAULT_SCAN_COUNT = 500;

export interface CacheAsideOptions {
  /**
   * An ioredis (5, 6) or iovalkey client, Cluster or Sentinel-configured client; a connected
   * node-redis 5 client, Cluster or Sentinel; or a `MemoryStore` (see docs/clients.md). Never
   * closed by the manager.
   */
  redis: RedisClient;
  /** Prepended to every key. @default 'cache:' */
  keyPrefix?: string;
  /** Seconds; a positive number, or `Infinity` for no expiry. @default 60 */
  defaultTtl?: number;
  /** Encoding of values. @default new JsonSerializer() */
  serializer?: Serializer;
  /** Deadline of each Redis command in milliseconds; past it the call is served by the loader. @default 200 */
  operationTimeout?: number;
  /** When to skip Redis after repeated connection failures. @default { failureThreshold: 3, cooldownMs: 1000 } */
  circuitBreaker?: CircuitBreakerOptions;
  /**
   * Send the commands issued in one tick of the event loop in one socket write per connection
   * (see `lib/redis/write-coalescer.ts`). It corks the client's own sockets until the end of the
   * tick, so the application's commands on that client share the write. @default true
   */
  coalesceWrites?: boolean;
  /**
   * Random shortening of each TTL by up to this fraction (`0` turns it off), so entries written
   * together do not expire together. A TTL is never lengthened. @default 0.05
   */
  ttlJitter?: number;
  /** Values whose encoding is larger are returned but not stored. @default 1 MiB */
  maxValueBytes?: number;
  /**
   * The cross-process load lease: how long (ms) a process loading a key keeps others waiting
   * for its result before they load themselves. Choose it above your slowest loader. @default 5000
   */
  leaseTtlMs?: number;
  /** Invalidations kept for replay while Redis is unreachable. @default 10000 */
  invalidationQueueSize?: number;
  /** Milliseconds between replays of queued invalidations. @default 1000 */
  invalidationRetryMs?: number;
  /** SCAN COUNT hint for pattern invalidation. @default 500 */
  scanCount?: number;
  /** Source of randomness for TTL jitter, replaceable for deterministic tests. @default Math.random */
  random?: () => number;
  /**
   * A bounded in-process tier in front of Redis, kept coherent across instances through Redis
   * pub/sub (an invalidation anywhere reaches every instance's tier). Values are shared by
   * reference: treat cached values as immutable. @default off
   */
  l1?: L1Options;
}

/** A TTL in seconds, or computed from the loaded value; `0` or less means "do not store it". */
export type TtlOption<T> = number | ((value: T) => number);

export interface GetOptions<T = unknown> {
  /** Seconds, or a function of the loaded value; `<= 0` from a function keeps it out of the cache. */
  ttl?: TtlOption<T>;
  serializer?: Serializer;
  /** Entries stored with a tag stop being served once `invalidateTags([tag])` runs. */
  tags?: readonly string[];
  /** Seconds after the TTL during which the old value answers if the loader fails. @default 0 */
  grace?: number;
  /**
   * Seconds after the TTL during which the old value answers at once while one background load
   * refreshes it (stale-while-revalidate). @default 0
   */
  staleWhileRevalidate?: number;
  /** Fraction of the TTL after which a hit triggers one background refresh (e.g. 0.8). */
  eagerRefresh?: number;
  /**
   * Milliseconds after which, when an old value is still inside its grace window, the caller gets
   * it instead of waiting for the loader; the load goes on and stores its result.
   */
  softTimeoutMs?: number;
  /**
   * Milliseconds after which the caller stops waiting for the loader: it gets the old value inside
   * the grace window, or a `CacheError` with code `LOADER_TIMEOUT`. The load goes on and stores.
   */
  hardTimeoutMs?: number;
  /** Groups this call's statistics (decorated methods use `Class.method`). */
  label?: string;
}

export interface SetOptions {
  ttl?: number;
  serializer?: Serializer;
  tags?: readonly string[];
}

/** Options after defaults and validation: what the manager actually runs with. */
export interface ResolvedOptions {
  redis: RedisClient;
  keyPrefix: string;
  defaultTtl: number;
  serializer: Serializer;
  operationTimeout: number;
  circuitBreaker: CircuitBreakerOptions | undefined;
  coalesceWrites: boolean;
  ttlJitter: number;
  maxValueBytes: number;
  leaseTtlMs: number;
  invalidationQueueSize: number;
  invalidationRetryMs: number;
  scanCount: number;
  random: () => number;
  l1: L1Options | undefined;
}

/**
 * Applies defaults and checks every option at construction, so a mistake is a clear `TypeError`
 * or `RangeError` naming the option and the fix — not a failure on the first cache miss.
 */
export function resolveOptions(options: CacheAsideOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(
      '[cache-aside] pass options: new CacheAsideManager({ redis: new Redis(process.env.REDIS_URL) }).',
    );
  }
  const redis = options.redis;
  // A client the library does not recognise, or an ioredis client with its own keyPrefix.
  assertRedisClient(redis);
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  if (typeof keyPrefix !== 'string') {
    throw new TypeError(`[cache-aside] keyPrefix must be a string, got ${describe(keyPrefix)}.`);
  }
  const resolved: ResolvedOptions = {
    redis,
    keyPrefix,
    defaultTtl: options.defaultTtl ?? DEFAULT_TTL,
    serializer: options.serializer ?? new JsonSerializer(),
    operationTimeout: options.operationTimeout ?? DEFAULT_OPERATION_TIMEOUT_MS,
    circuitBreaker: options.circuitBreaker,
    coalesceWrites: options.coalesceWrites ?? true,
    ttlJitter: options.ttlJitter ?? DEFAULT_TTL_JITTER,
    maxValueBytes: options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES,
    leaseTtlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
    invalidationQueueSize: options.invalidationQueueSize ?? DEFAULT_INVALIDATION_QUEUE_SIZE,
    invalidationRetryMs: options.invalidationRetryMs ?? DEFAULT_INVALIDATION_RETRY_MS,
    scanCount: options.scanCount ?? DEFAULT_SCAN_COUNT,
    random: options.random ?? Math.random,
    l1: options.l1,
  };
  assertTtl(resolved.defaultTtl, 'defaultTtl');
  assertSerializer(resolved.serializer, 'serializer');
  assertTimeout(resolved.operationTimeout, 'operationTimeout');
  if (typeof resolved.coalesceWrites !== 'boolean') {
    throw new TypeError(
      `[cache-aside] coalesceWrites must be true or false, got ${describe(resolved.coalesceWrites)}.`,
    );
  }
  if (resolved.ttlJitter !== 0) assertFraction(resolved.ttlJitter, 'ttlJitter');
  assertPositive(resolved.maxValueBytes, 'maxValueBytes');
  assertPositiveInteger(resolved.leaseTtlMs, 'leaseTtlMs');
  assertPositiveInteger(resolved.invalidationQueueSize, 'invalidationQueueSize');
  assertTimeout(resolved.invalidationRetryMs, 'invalidationRetryMs');
  assertPositiveInteger(resolved.scanCount, 'scanCount');
  assertFunction(resolved.random, 'random');
  const breaker = resolved.circuitBreaker;
  if (breaker !== undefined) {
    if (breaker === null || typeof breaker !== 'object') {
      throw new TypeError(
        `[cache-aside] circuitBreaker must be { failureThreshold?, cooldownMs? }, got ${describe(breaker)}.`,
      );
    }
    if (breaker.failureThreshold !== undefined)
      assertPositiveInteger(breaker.failureThreshold, 'circuitBreaker.failureThreshold');
    if (breaker.cooldownMs !== undefined)
      assertNonNegative(breaker.cooldownMs, 'circuitBreaker.cooldownMs');
  }
  if (resolved.l1 !== undefined) {
    if (resolved.l1 === null || typeof resolved.l1 !== 'object') {
      throw new TypeError(
        `[cache-aside] l1 must be { maxEntries, maxBytes?, ttl? }, got ${describe(resolved.l1)}.`,
      );
    }
    assertPositiveInteger(resolved.l1.maxEntries, 'l1.maxEntries');
    if (resolved.l1.maxBytes !== undefined) assertPositive(resolved.l1.maxBytes, 'l1.maxBytes');
    if (resolved.l1.ttl !== undefined) assertPositive(resolved.l1.ttl, 'l1.ttl');
    if (resolved.l1.heartbeatMs !== undefined)
      assertTimeout(resolved.l1.heartbeatMs, 'l1.heartbeatMs');
  }
  return resolved;
}

/**
 * Checks the options of one read at the start of the call, so a mistake is a clear error there
 * rather than a lease left behind or a value silently not stored. Only a TTL computed by a
 * function may be `<= 0` (it means "do not store this value").
 */
export function assertGetOptions(opts: GetOptions<never>): void {
  if (opts === null || typeof opts !== 'object') {
    throw new TypeError(
      `[cache-aside] the options of a read must be an object, got ${describe(opts)}.`,
    );
  }
  if (opts.ttl !== undefined && typeof opts.ttl !== 'function') assertTtl(opts.ttl, 'ttl');
  if (opts.tags !== undefined) assertTags(opts.tags);
  if (opts.grace !== undefined) assertNonNegative(opts.grace, 'grace');
  if (opts.staleWhileRevalidate !== undefined)
    assertNonNegative(opts.staleWhileRevalidate, 'staleWhileRevalidate');
  if (opts.eagerRefresh !== undefined) assertFraction(opts.eagerRefresh, 'eagerRefresh');
  if (opts.softTimeoutMs !== undefined) assertTimeout(opts.softTimeoutMs, 'softTimeoutMs');
  if (opts.hardTimeoutMs !== undefined) assertTimeout(opts.hardTimeoutMs, 'hardTimeoutMs');
  if (opts.label !== undefined && typeof opts.label !== 'string') {
    throw new TypeError(`[cache-aside] label must be a string, got ${describe(opts.label)}.`);
  }
}
