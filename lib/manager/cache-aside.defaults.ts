import { DEFAULT_L1_HEARTBEAT_MS } from '../l1/invalidation-bus';
import type { LeaseOnRead } from './leasing-reads';
import { DEFAULT_COOLDOWN_MS, DEFAULT_FAILURE_THRESHOLD } from '../redis/circuit-breaker';

/**
 * Every default of `CacheAsideManager`'s options, in one frozen object: what a manager built with
 * `{ redis }` alone runs with. The public `DEFAULT_*` constants below are read from it, and the
 * option docs point at those constants. (The circuit breaker's and the in-process tier's own
 * defaults live beside their code, in layers this one sits on; they are gathered here too.)
 */
export const CACHE_ASIDE_DEFAULTS = Object.freeze({
  keyPrefix: 'cache:',
  /** Seconds. */
  defaultTtl: 60,
  /** Milliseconds a single Redis command may take before the call is served without it. */
  operationTimeoutMs: 200,
  coalesceWrites: true,
  /** Fraction by which a TTL may be shortened at random, so entries written together expire apart. */
  ttlJitter: 0.05,
  /** Encoded values above this size are returned but not stored. */
  maxValueBytes: 1024 * 1024,
  /** How long one process's load lease keeps other processes waiting for its result. */
  leaseTtlMs: 5000,
  /** When a `get`'s read also takes the load lease (see `leasing-reads.ts`). */
  leaseOnRead: 'auto',
  /** Invalidations kept for replay while Redis is unreachable. */
  invalidationQueueSize: 10_000,
  /** Milliseconds between replays of queued invalidations while Redis stays unreachable. */
  invalidationRetryMs: 1000,
  /** Milliseconds `close()` keeps trying queued invalidations before it reports them undelivered. */
  closeTimeoutMs: 2000,
  /** SCAN COUNT hint and UNLINK batch size for pattern invalidation. */
  scanCount: 500,
  /** Keys per round trip of a `getMany` (and `@CacheableMany`): larger batches go in chunks. */
  getManyChunkSize: 1000,
  circuitBreaker: Object.freeze({
    failureThreshold: DEFAULT_FAILURE_THRESHOLD,
    cooldownMs: DEFAULT_COOLDOWN_MS,
  }),
  l1: Object.freeze({ heartbeatMs: DEFAULT_L1_HEARTBEAT_MS }),
});

/** @see CACHE_ASIDE_DEFAULTS */
export const DEFAULT_KEY_PREFIX: string = CACHE_ASIDE_DEFAULTS.keyPrefix;
/** Seconds. @see CACHE_ASIDE_DEFAULTS */
export const DEFAULT_TTL: number = CACHE_ASIDE_DEFAULTS.defaultTtl;
/** Milliseconds a single Redis command may take before the call is served without it. */
export const DEFAULT_OPERATION_TIMEOUT_MS: number = CACHE_ASIDE_DEFAULTS.operationTimeoutMs;
/** Fraction by which a TTL may be shortened at random, so entries written together expire apart. */
export const DEFAULT_TTL_JITTER: number = CACHE_ASIDE_DEFAULTS.ttlJitter;
/** Encoded values above this size are returned but not stored. */
export const DEFAULT_MAX_VALUE_BYTES: number = CACHE_ASIDE_DEFAULTS.maxValueBytes;
/** How long one process's load lease keeps other processes waiting for its result. */
export const DEFAULT_LEASE_TTL_MS: number = CACHE_ASIDE_DEFAULTS.leaseTtlMs;
/** When a `get`'s read also takes the load lease: while misses are common. */
export const DEFAULT_LEASE_ON_READ: LeaseOnRead = CACHE_ASIDE_DEFAULTS.leaseOnRead;
/** Invalidations kept for replay while Redis is unreachable. */
export const DEFAULT_INVALIDATION_QUEUE_SIZE: number = CACHE_ASIDE_DEFAULTS.invalidationQueueSize;
/** Milliseconds between replays of queued invalidations while Redis stays unreachable. */
export const DEFAULT_INVALIDATION_RETRY_MS: number = CACHE_ASIDE_DEFAULTS.invalidationRetryMs;
/** Milliseconds `close()` keeps trying queued invalidations before it reports them undelivered. */
export const DEFAULT_CLOSE_TIMEOUT_MS: number = CACHE_ASIDE_DEFAULTS.closeTimeoutMs;
/** SCAN COUNT hint and UNLINK batch size for pattern invalidation. */
export const DEFAULT_SCAN_COUNT: number = CACHE_ASIDE_DEFAULTS.scanCount;
/** Keys per round trip of a `getMany` (and `@CacheableMany`): larger batches go in chunks. */
export const DEFAULT_GET_MANY_CHUNK_SIZE: number = CACHE_ASIDE_DEFAULTS.getManyChunkSize;
