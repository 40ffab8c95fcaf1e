import type { L1Options } from '../l1/local-tier';
import type { CircuitBreakerOptions } from '../redis/circuit-breaker';
import type { RedisClient } from '../redis/redis-client';
import type { Serializer } from '../serializers/serializer';
import type { LeaseOnRead } from './leasing-reads';
export {
  CACHE_ASIDE_DEFAULTS,
  DEFAULT_INVALIDATION_QUEUE_SIZE,
  DEFAULT_INVALIDATION_RETRY_MS,
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_KEY_PREFIX,
  DEFAULT_LEASE_TTL_MS,
  DEFAULT_LEASE_ON_READ,
  DEFAULT_MAX_VALUE_BYTES,
  DEFAULT_OPERATION_TIMEOUT_MS,
  DEFAULT_SCAN_COUNT,
  DEFAULT_GET_MANY_CHUNK_SIZE,
  DEFAULT_TTL,
  DEFAULT_TTL_JITTER,
} from './cache-aside.defaults';

/*
 * The option types of `CacheAsideManager` and of its calls. Defaults: `cache-aside.defaults.ts`;
 * validation: `options-validation.ts`.
 */

/** What `new CacheAsideManager(options)` takes: the client, the prefix, TTLs and the tiers. */
export interface CacheAsideOptions {
  /**
   * An ioredis (5, 6) or iovalkey client, Cluster or Sentinel-configured client; a connected
   * node-redis 5 client, Cluster or Sentinel; or a `MemoryStore` (see docs/clients.md). Never
   * closed by the manager.
   */
  redis: RedisClient;
  /** Prepended to every key. @default `DEFAULT_KEY_PREFIX` */
  keyPrefix?: string;
  /** Seconds; a positive number, or `Infinity` for no expiry. @default `DEFAULT_TTL` */
  defaultTtl?: number;
  /**
   * Seconds a `null` or `undefined` result is kept (negative caching), or `false` to never store
   * one (every call loads again). Each call may override it with its own `nullTtl`.
   * @default the same TTL as any other value
   */
  nullTtl?: number | false;
  /** Encoding of values. @default new JsonSerializer() */
  serializer?: Serializer;
  /**
   * Deadline of each Redis command in milliseconds; past it the call is served by the loader.
   * @default `DEFAULT_OPERATION_TIMEOUT_MS`
   */
  operationTimeoutMs?: number;
  /**
   * @deprecated Renamed `operationTimeoutMs` (the unit in the name, as its neighbours have it).
   * Still read, with a one-time `DeprecationWarning`.
   */
  operationTimeout?: number;
  /**
   * When to skip Redis after repeated connection failures.
   * @default `DEFAULT_FAILURE_THRESHOLD` failures, `DEFAULT_COOLDOWN_MS` ms
   */
  circuitBreaker?: CircuitBreakerOptions;
  /**
   * Send the commands issued in one tick of the event loop in one socket write per connection
   * (see `lib/redis/write-coalescer.ts`). It corks the client's own sockets until the end of the
   * tick, so the application's commands on that client share the write. @default true
   */
  coalesceWrites?: boolean;
  /**
   * Random shortening of each TTL by up to this fraction (`0` turns it off), so entries written
   * together do not expire together. A TTL is never lengthened. @default `DEFAULT_TTL_JITTER`
   */
  ttlJitter?: number;
  /** Values whose encoding is larger are returned but not stored. @default `DEFAULT_MAX_VALUE_BYTES` */
  maxValueBytes?: number;
  /**
   * The cross-process load lease: how long (ms) a process loading a key keeps others waiting
   * for its result before they load themselves. Choose it above your slowest loader.
   * @default `DEFAULT_LEASE_TTL_MS`
   */
  leaseTtlMs?: number;
  /**
   * Whether a `get`'s read of Redis also takes the load lease when the key is absent, in one
   * command (`SET key marker NX PX leaseTtlMs GET`, Redis 7), saving a miss the separate lease
   * take: `'auto'` while a quarter or more of recent reads miss (hits keep a plain GET),
   * `'always'`, or `'never'`. Redis refusing it (before 7.0, an ACL without SET, OOM) falls back
   * to GET by itself. @default `DEFAULT_LEASE_ON_READ`
   */
  leaseOnRead?: LeaseOnRead;
  /** Invalidations kept for replay while Redis is unreachable. @default `DEFAULT_INVALIDATION_QUEUE_SIZE` */
  invalidationQueueSize?: number;
  /** Milliseconds between replays of queued invalidations. @default `DEFAULT_INVALIDATION_RETRY_MS` */
  invalidationRetryMs?: number;
  /**
   * How long (ms) `close()` keeps trying the invalidations still queued (Redis was unreachable)
   * before it gives up on them and reports how many it could not deliver (event `'undelivered'`,
   * and an `INVALIDATION_UNDELIVERED` error): their entries may then stay stale until their TTL.
   * @default `DEFAULT_CLOSE_TIMEOUT_MS`
   */
  closeTimeoutMs?: number;
  /** SCAN COUNT hint for pattern invalidation. @default `DEFAULT_SCAN_COUNT` */
  scanCount?: number;
  /**
   * Keys per round trip of a `getMany` (and `@CacheableMany`): a larger batch is looked up,
   * leased and stored in chunks of this size, one chunk at a time, each command with a deadline
   * of `operationTimeoutMs` plus 0.1 ms per key of a chunk, never counted by the circuit breaker.
   * A lookup or lease chunk that fails is reported once (not per key) and ends the batch's use of
   * Redis (the rest is served by the loader, which is still called once with every missing key);
   * stores go on in the background while the leases last, their failures reported once per batch.
   * @default `DEFAULT_GET_MANY_CHUNK_SIZE`
   */
  getManyChunkSize?: number;
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

/** Per-call options of `get`, `getMany` and `@Cacheable`: TTL, tags, grace, refresh, serializer. */
export interface GetOptions<T = unknown> {
  /** Seconds, or a function of the loaded value; `<= 0` from a function keeps it out of the cache. */
  ttl?: TtlOption<T>;
  /** This call's serializer instead of the manager's (stored entries record which). */
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
  /**
   * Seconds a `null` / `undefined` result of this call is kept, or `false` to not store it;
   * overrides the manager's `nullTtl`. @default the manager's `nullTtl`
   */
  nullTtl?: number | false;
  /** Groups this call's statistics (decorated methods use `Class.method`). */
  label?: string;
}

/** Per-call options of `set` (and `@CachePut`). */
export interface SetOptions {
  /** Seconds. @default the manager's `defaultTtl` */
  ttl?: number;
  /** This write's serializer; `get` must read the key with the same one. */
  serializer?: Serializer;
  /** Tags to store the entry with (see `invalidateTags`). */
  tags?: readonly string[];
  /** For a `null` / `undefined` value: its TTL, or `false` to remove the key instead. */
  nullTtl?: number | false;
  /**
   * Names the caller on the `cache-aside:set` channel and in errors (`@CachePut` passes its
   * `Class.method`).
   */
  label?: string;
}

/** Per-call options of `invalidate`, `invalidatePattern` and `invalidateTags`. */
export interface InvalidateOptions {
  /**
   * Names the caller on the `cache-aside:invalidate` channel (`@CacheEvict` and `@CachePut` pass
   * their `Class.method`).
   */
  label?: string;
}

/** Options after defaults and validation: what the manager actually runs with. */
export interface ResolvedOptions {
  redis: RedisClient;
  keyPrefix: string;
  defaultTtl: number;
  nullTtl: number | false | undefined;
  serializer: Serializer;
  operationTimeoutMs: number;
  circuitBreaker: CircuitBreakerOptions | undefined;
  coalesceWrites: boolean;
  ttlJitter: number;
  maxValueBytes: number;
  leaseTtlMs: number;
  leaseOnRead: LeaseOnRead;
  invalidationQueueSize: number;
  invalidationRetryMs: number;
  closeTimeoutMs: number;
  scanCount: number;
  getManyChunkSize: number;
  random: () => number;
  l1: L1Options | undefined;
}
