import { CacheTypeError } from '../errors/cache-type-error';
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
import { INTERNAL_MARKER } from '../entry/key-layout';
import { assertKnownOptions } from '../errors/unknown-option';
import { assertRedisClient } from '../redis/redis-client';
import { JsonSerializer } from '../serializers/json.serializer';
import { assertSerializer } from '../serializers/serializer';
import { CACHE_ASIDE_DEFAULTS } from './cache-aside.defaults';
import type {
  CacheAsideOptions,
  GetOptions,
  InvalidateOptions,
  ResolvedOptions,
  SetOptions,
} from './cache-aside.options';

const INVALID = 'ERR_CACHE_ASIDE_INVALID_ARGUMENT';
const LEASE_ON_READ: readonly unknown[] = ['auto', 'always', 'never'];

/** Every option name each object accepts (a `Record` keyed by the type, so none is forgotten). */
const CONSTRUCTOR_OPTIONS = namesOf<CacheAsideOptions>({
  redis: 1,
  keyPrefix: 1,
  defaultTtl: 1,
  nullTtl: 1,
  serializer: 1,
  operationTimeoutMs: 1,
  operationTimeout: 1,
  circuitBreaker: 1,
  coalesceWrites: 1,
  ttlJitter: 1,
  maxValueBytes: 1,
  leaseTtlMs: 1,
  leaseOnRead: 1,
  invalidationQueueSize: 1,
  invalidationRetryMs: 1,
  closeTimeoutMs: 1,
  scanCount: 1,
  getManyChunkSize: 1,
  random: 1,
  l1: 1,
});
const BREAKER_OPTIONS = namesOf<NonNullable<CacheAsideOptions['circuitBreaker']>>({
  failureThreshold: 1,
  cooldownMs: 1,
  now: 1,
});
const L1_OPTIONS = namesOf<NonNullable<CacheAsideOptions['l1']>>({
  maxEntries: 1,
  maxBytes: 1,
  ttl: 1,
  heartbeatMs: 1,
});
const GET_OPTIONS = namesOf<GetOptions>({
  ttl: 1,
  serializer: 1,
  tags: 1,
  grace: 1,
  staleWhileRevalidate: 1,
  eagerRefresh: 1,
  softTimeoutMs: 1,
  hardTimeoutMs: 1,
  nullTtl: 1,
  label: 1,
});
const SET_OPTIONS = namesOf<SetOptions>({ ttl: 1, serializer: 1, tags: 1, nullTtl: 1, label: 1 });
const INVALIDATE_OPTIONS = namesOf<InvalidateOptions>({ label: 1 });

/** Names people bring from other libraries, mapped to ours. */
const CONSTRUCTOR_ALIASES = { ttl: 'defaultTtl', ttlSeconds: 'defaultTtl', prefix: 'keyPrefix' };
const CALL_ALIASES = { ttlSeconds: 'ttl', tag: 'tags', swr: 'staleWhileRevalidate' };

function namesOf<T>(names: Record<keyof T, 1>): ReadonlySet<string> {
  return new Set(Object.keys(names));
}

/** The deprecated `operationTimeout` warns once per process, not once per manager. */
let operationTimeoutWarned = false;

/**
 * Applies defaults and checks every option at construction, so a mistake is a clear `TypeError`
 * or `RangeError` naming the option and the fix — not a failure on the first cache miss.
 */
export function resolveOptions(options: CacheAsideOptions): ResolvedOptions {
  if ((options as unknown) === null || typeof options !== 'object') {
    throw new CacheTypeError(
      INVALID,
      'pass options: new CacheAsideManager({ redis: new Redis(process.env.REDIS_URL) }).',
    );
  }
  assertKnownOptions(
    options,
    CONSTRUCTOR_OPTIONS,
    'the CacheAsideManager options',
    CONSTRUCTOR_ALIASES,
  );
  const redis = options.redis;
  // A client the library does not recognise, or an ioredis client with its own keyPrefix.
  assertRedisClient(redis);
  const defaults = CACHE_ASIDE_DEFAULTS;
  const keyPrefix = options.keyPrefix ?? defaults.keyPrefix;
  if (typeof keyPrefix !== 'string') {
    throw new CacheTypeError(INVALID, `keyPrefix must be a string, got ${describe(keyPrefix)}.`);
  }
  if (keyPrefix.includes(INTERNAL_MARKER)) {
    // Internal names under a prefix begin with "~" (lib/entry/key-layout.ts): a prefix holding
    // one could be another manager's prefix followed by its tag keys or bus channel.
    throw new CacheTypeError(
      INVALID,
      `keyPrefix must not contain "${INTERNAL_MARKER}" (the library's own names under a prefix ` +
        `begin with it, so such a prefix could reach another manager's tag keys); got ` +
        `${JSON.stringify(keyPrefix)}. Use another separator, e.g. "app:".`,
    );
  }
  const resolved: ResolvedOptions = {
    redis,
    keyPrefix,
    defaultTtl: options.defaultTtl ?? defaults.defaultTtl,
    nullTtl: options.nullTtl,
    serializer: options.serializer ?? new JsonSerializer(),
    operationTimeoutMs: operationTimeoutOf(options),
    circuitBreaker: options.circuitBreaker,
    coalesceWrites: options.coalesceWrites ?? defaults.coalesceWrites,
    ttlJitter: options.ttlJitter ?? defaults.ttlJitter,
    maxValueBytes: options.maxValueBytes ?? defaults.maxValueBytes,
    leaseTtlMs: options.leaseTtlMs ?? defaults.leaseTtlMs,
    leaseOnRead: options.leaseOnRead ?? defaults.leaseOnRead,
    invalidationQueueSize: options.invalidationQueueSize ?? defaults.invalidationQueueSize,
    invalidationRetryMs: options.invalidationRetryMs ?? defaults.invalidationRetryMs,
    closeTimeoutMs: options.closeTimeoutMs ?? defaults.closeTimeoutMs,
    scanCount: options.scanCount ?? defaults.scanCount,
    getManyChunkSize: options.getManyChunkSize ?? defaults.getManyChunkSize,
    random: options.random ?? Math.random,
    l1: options.l1,
  };
  assertTtl(resolved.defaultTtl, 'defaultTtl');
  assertNullTtl(resolved.nullTtl);
  assertSerializer(resolved.serializer, 'serializer');
  assertTimeout(resolved.operationTimeoutMs, 'operationTimeoutMs');
  if (typeof resolved.coalesceWrites !== 'boolean') {
    throw new CacheTypeError(
      INVALID,
      `coalesceWrites must be true or false, got ${describe(resolved.coalesceWrites)}.`,
    );
  }
  if (resolved.ttlJitter !== 0) assertFraction(resolved.ttlJitter, 'ttlJitter');
  assertPositive(resolved.maxValueBytes, 'maxValueBytes');
  assertPositiveInteger(resolved.leaseTtlMs, 'leaseTtlMs');
  if (!LEASE_ON_READ.includes(resolved.leaseOnRead)) {
    throw new CacheTypeError(
      INVALID,
      `leaseOnRead must be 'auto', 'always' or 'never', got ${describe(resolved.leaseOnRead)}.`,
    );
  }
  assertPositiveInteger(resolved.invalidationQueueSize, 'invalidationQueueSize');
  assertTimeout(resolved.invalidationRetryMs, 'invalidationRetryMs');
  assertTimeout(resolved.closeTimeoutMs, 'closeTimeoutMs');
  assertPositiveInteger(resolved.scanCount, 'scanCount');
  assertPositiveInteger(resolved.getManyChunkSize, 'getManyChunkSize');
  assertFunction(resolved.random, 'random');
  assertBreakerOptions(resolved.circuitBreaker);
  assertL1Options(resolved.l1);
  return resolved;
}

/** `operationTimeoutMs`, or the deprecated `operationTimeout` (with a one-time warning). */
function operationTimeoutOf(options: CacheAsideOptions): number {
  // Read under its old name on purpose: this is the deprecation path.
  const { operationTimeout: legacy } = options as { operationTimeout?: number };
  if (legacy === undefined) {
    return options.operationTimeoutMs ?? CACHE_ASIDE_DEFAULTS.operationTimeoutMs;
  }
  if (options.operationTimeoutMs !== undefined) {
    throw new CacheTypeError(
      INVALID,
      'pass operationTimeoutMs only: operationTimeout is its deprecated former name.',
    );
  }
  if (!operationTimeoutWarned) {
    operationTimeoutWarned = true;
    process.emitWarning(
      'cache-aside: the option operationTimeout is deprecated; rename it operationTimeoutMs (same value, milliseconds).',
      { type: 'DeprecationWarning', code: 'CACHE_ASIDE_DEP_OPERATION_TIMEOUT' },
    );
  }
  return legacy;
}

function assertBreakerOptions(breaker: CacheAsideOptions['circuitBreaker']): void {
  if (breaker === undefined) return;
  if ((breaker as unknown) === null || typeof breaker !== 'object') {
    throw new CacheTypeError(
      INVALID,
      `circuitBreaker must be { failureThreshold?, cooldownMs? }, got ${describe(breaker)}.`,
    );
  }
  assertKnownOptions(breaker, BREAKER_OPTIONS, 'circuitBreaker', { threshold: 'failureThreshold' });
  if (breaker.failureThreshold !== undefined)
    assertPositiveInteger(breaker.failureThreshold, 'circuitBreaker.failureThreshold');
  if (breaker.cooldownMs !== undefined)
    assertNonNegative(breaker.cooldownMs, 'circuitBreaker.cooldownMs');
}

function assertL1Options(l1: CacheAsideOptions['l1']): void {
  if (l1 === undefined) return;
  if ((l1 as unknown) === null || typeof l1 !== 'object') {
    throw new CacheTypeError(
      INVALID,
      `l1 must be { maxEntries, maxBytes?, ttl? }, got ${describe(l1)}.`,
    );
  }
  assertKnownOptions(l1, L1_OPTIONS, 'the l1 options');
  assertPositiveInteger(l1.maxEntries, 'l1.maxEntries');
  if (l1.maxBytes !== undefined) assertPositive(l1.maxBytes, 'l1.maxBytes');
  if (l1.ttl !== undefined) assertPositive(l1.ttl, 'l1.ttl');
  if (l1.heartbeatMs !== undefined) assertTimeout(l1.heartbeatMs, 'l1.heartbeatMs');
}

/** `nullTtl` is a TTL in seconds or `false` ("never store null / undefined"). */
function assertNullTtl(nullTtl: unknown): void {
  if (nullTtl !== undefined && nullTtl !== false) assertTtl(nullTtl, 'nullTtl');
}

/**
 * Checks the options of one read at the start of the call, so a mistake is a clear error there
 * rather than a lease left behind or a value silently not stored. Only a TTL computed by a
 * function may be `<= 0` (it means "do not store this value").
 */
export function assertGetOptions(opts: GetOptions<never>, where = 'get()'): void {
  if ((opts as unknown) === null || typeof opts !== 'object') {
    throw new CacheTypeError(
      INVALID,
      `the options of a read must be an object, got ${describe(opts)}.`,
    );
  }
  assertKnownOptions(opts, GET_OPTIONS, `the options of ${where}`, CALL_ALIASES);
  if (opts.ttl !== undefined && typeof opts.ttl !== 'function') assertTtl(opts.ttl, 'ttl');
  if (opts.tags !== undefined) assertTags(opts.tags);
  if (opts.grace !== undefined) assertNonNegative(opts.grace, 'grace');
  if (opts.staleWhileRevalidate !== undefined)
    assertNonNegative(opts.staleWhileRevalidate, 'staleWhileRevalidate');
  if (opts.eagerRefresh !== undefined) assertFraction(opts.eagerRefresh, 'eagerRefresh');
  if (opts.softTimeoutMs !== undefined) assertTimeout(opts.softTimeoutMs, 'softTimeoutMs');
  if (opts.hardTimeoutMs !== undefined) assertTimeout(opts.hardTimeoutMs, 'hardTimeoutMs');
  assertNullTtl(opts.nullTtl);
  assertLabel(opts.label);
}

function assertLabel(label: unknown): void {
  if (label !== undefined && typeof label !== 'string') {
    throw new CacheTypeError(INVALID, `label must be a string, got ${describe(label)}.`);
  }
}

/** Checks the options of `set` at the start of the call. */
export function assertSetOptions(opts: SetOptions): void {
  if ((opts as unknown) === null || typeof opts !== 'object') {
    throw new CacheTypeError(
      INVALID,
      `the options of set() must be an object, got ${describe(opts)}.`,
    );
  }
  assertKnownOptions(opts, SET_OPTIONS, 'the options of set()', CALL_ALIASES);
  if (opts.tags !== undefined) assertTags(opts.tags);
  assertNullTtl(opts.nullTtl);
  assertLabel(opts.label);
}

/** Checks the options of an invalidation (`where`: `'invalidate()'`, …) at the start of the call. */
export function assertInvalidateOptions(opts: InvalidateOptions, where: string): void {
  if ((opts as unknown) === null || typeof opts !== 'object') {
    throw new CacheTypeError(
      INVALID,
      `the options of ${where} must be an object, got ${describe(opts)}.`,
    );
  }
  assertKnownOptions(opts, INVALIDATE_OPTIONS, `the options of ${where}`, {});
  assertLabel(opts.label);
}
