import { randomBytes } from 'node:crypto';
import { CacheError, type CacheErrorCode, type CacheOperation } from '../errors/cache-error';
import { BatchSizeMismatchError } from '../errors/batch-size-mismatch.error';
import {
  assertFraction,
  assertFunction,
  assertKey,
  assertNonNegative,
  assertPositive,
  assertTtl,
  describe,
} from '../errors/invalid-argument';
import { CircuitBreaker } from '../redis/circuit-breaker';
import { clientKeyPrefixOf, isRedisClient, type RedisClient } from '../redis/redis-client';
import { errorCodeOf } from '../redis/redis-errors';
import { RedisGateway } from '../redis/redis-gateway';
import { JsonSerializer } from '../serializers/json.serializer';
import { assertSerializer, type Serializer } from '../serializers/serializer';
import {
  DEFAULT_INVALIDATION_QUEUE_SIZE,
  DEFAULT_INVALIDATION_RETRY_MS,
  DEFAULT_KEY_PREFIX,
  DEFAULT_LEASE_TTL_MS,
  DEFAULT_MAX_VALUE_BYTES,
  DEFAULT_OPERATION_TIMEOUT_MS,
  DEFAULT_SCAN_COUNT,
  DEFAULT_TTL,
  DEFAULT_TTL_JITTER,
  type CacheAsideOptions,
  type GetOptions,
  type SetOptions,
} from './cache-aside.options';
import { CacheEventEmitter, type CacheEventName, type CacheEvents } from './cache-events';
import { CodecRegistry, type Codec } from './codec';
import {
  decodeEntry,
  encodeEntry,
  ENTRY_ID_RANGE,
  EntryFormatError,
  EntryKind,
  ENTRY_HEAD_LENGTH,
  FRESH_UNTIL_OFFSET,
  isEntryHead,
  isLeaseMarker,
  TAG_TOKEN_LENGTH,
  type EntryHeader,
  type TagStamp,
} from './entry-format';
import { escapeGlob } from './glob';
import { InvalidationQueue, type PendingInvalidation } from './invalidation-queue';
import { newLeaseMarker, pollSchedule } from './load-lease';
import { SingleFlight } from './single-flight';
import { StatsRecorder, type CacheStats } from './stats';
import { expiryOf, ttlFor } from './ttl-policy';

/** What a read of one key found. */
type Lookup =
  | { readonly state: 'fresh'; readonly value: unknown; readonly header: EntryHeader; readonly raw: Buffer }
  | { readonly state: 'stale'; readonly value: unknown; readonly header: EntryHeader; readonly raw: Buffer }
  | { readonly state: 'unusable'; readonly raw: Buffer }
  | { readonly state: 'leased' }
  | { readonly state: 'absent' };

const ABSENT: Lookup = { state: 'absent' };
const LEASED: Lookup = { state: 'leased' };

/** How long a failing loader is left alone while a stale value answers inside its grace window. */
const GRACE_RETRY_MS = 1000;

/**
 * The cache-aside policy: look the key up; on a miss load it once (in this process and across
 * processes), store it, return it; evict on invalidation. Redis trouble never reaches the
 * caller: reads fall back to the loader, invalidations are queued and replayed.
 */
export class CacheAsideManager {
  readonly keyPrefix: string;
  readonly defaultTtl: number;

  private readonly gateway: RedisGateway;
  private readonly events = new CacheEventEmitter();
  private readonly counters = new StatsRecorder();
  private readonly flights = new SingleFlight<unknown>();
  private readonly refreshes = new SingleFlight<unknown>();
  private readonly codecs = new CodecRegistry();
  private readonly defaultCodec: Codec;
  private readonly pending: InvalidationQueue;
  private readonly background = new Set<Promise<unknown>>();
  private readonly jitter: number;
  private readonly maxValueBytes: number;
  private readonly leaseTtlMs: number;
  private readonly retryMs: number;
  private readonly random: () => number;
  private readonly tagKeyPrefix: string;
  private retryTimer: NodeJS.Timeout | undefined;
  private replaying: Promise<void> | undefined;

  constructor(options: CacheAsideOptions) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(
        "[cache-aside] pass options: new CacheAsideManager({ redis: new Redis(process.env.REDIS_URL) }).",
      );
    }
    const redis = options.redis;
    if (!isRedisClient(redis)) {
      throw new TypeError(
        `[cache-aside] options.redis must be an ioredis client, Cluster or Sentinel client, got ${describe(redis)}; ` +
          "pass { redis: new Redis(process.env.REDIS_URL) } (import Redis from 'ioredis').",
      );
    }
    const clientPrefix = clientKeyPrefixOf(redis);
    if (clientPrefix) {
      throw new TypeError(
        `[cache-aside] the Redis client has ioredis's own keyPrefix ("${clientPrefix}"), which SCAN patterns ` +
          'ignore; create the client without it and pass { keyPrefix } to CacheAsideManager instead.',
      );
    }
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    if (typeof this.keyPrefix !== 'string') {
      throw new TypeError(`[cache-aside] keyPrefix must be a string, got ${describe(this.keyPrefix)}.`);
    }
    this.defaultTtl = options.defaultTtl ?? DEFAULT_TTL;
    assertTtl(this.defaultTtl, 'defaultTtl');
    const serializer = options.serializer ?? new JsonSerializer();
    assertSerializer(serializer, 'serializer');
    this.defaultCodec = this.codecs.of(serializer);
    const operationTimeout = options.operationTimeout ?? DEFAULT_OPERATION_TIMEOUT_MS;
    assertPositive(operationTimeout, 'operationTimeout');
    this.jitter = options.ttlJitter ?? DEFAULT_TTL_JITTER;
    if (this.jitter !== 0) assertFraction(this.jitter, 'ttlJitter');
    this.maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    assertPositive(this.maxValueBytes, 'maxValueBytes');
    this.leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
    assertPositive(this.leaseTtlMs, 'leaseTtlMs');
    const queueSize = options.invalidationQueueSize ?? DEFAULT_INVALIDATION_QUEUE_SIZE;
    assertPositive(queueSize, 'invalidationQueueSize');
    this.retryMs = options.invalidationRetryMs ?? DEFAULT_INVALIDATION_RETRY_MS;
    assertPositive(this.retryMs, 'invalidationRetryMs');
    const scanCount = options.scanCount ?? DEFAULT_SCAN_COUNT;
    assertPositive(scanCount, 'scanCount');
    this.random = options.random ?? Math.random;
    assertFunction(this.random, 'random');
    this.pending = new InvalidationQueue(queueSize);
    this.tagKeyPrefix = `cache-aside:tag:${this.keyPrefix}`;
    this.gateway = new RedisGateway(redis, {
      operationTimeout,
      scanCount,
      breaker: new CircuitBreaker(options.circuitBreaker),
    });
    this.gateway.onRecovered(() => void this.replayInvalidations());
  }

  /** The Redis client this manager reads and writes through. */
  get redis(): RedisClient {
    return this.gateway.client;
  }

  // ── reads ──────────────────────────────────────────────────────────────────

  /**
   * Cache-aside read: a hit returns the stored value; a miss calls `loader(key)` once (across
   * concurrent callers and processes), stores the result and returns it.
   */
  async get<T>(key: string, loader: (key: string) => T | Promise<T>, opts: GetOptions<T> = {}): Promise<T> {
    assertKey(key);
    assertFunction(loader, 'loader');
    const fullKey = this.keyPrefix + key;
    const codec = opts.serializer === undefined ? this.defaultCodec : this.codecOf(opts.serializer);
    const label = opts.label;
    if (opts.grace !== undefined) assertNonNegative(opts.grace, 'grace');
    if (opts.eagerRefresh !== undefined) assertFraction(opts.eagerRefresh, 'eagerRefresh');

    if (this.pending.covers(fullKey)) {
      // An invalidation of this key has not reached Redis yet: the entry there may be the stale
      // one it was meant to remove. Serve from the loader, store nothing, and try the replay.
      void this.replayInvalidations();
      this.recordMiss(key, label);
      return this.loadWithoutCache(fullKey, key, loader, label);
    }
    let lookup: Lookup = ABSENT;
    try {
      const raw = await this.gateway.get(fullKey);
      if (raw !== null) lookup = await this.readEntry(raw, codec, key, 'get', label);
    } catch (error) {
      this.reportRedis(error, 'get', key, label);
      this.recordMiss(key, label);
      return this.loadWithoutCache(fullKey, key, loader, label);
    }

    if (lookup.state === 'fresh') {
      this.counters.hit(label);
      if (this.events.listens('hit')) this.events.emit('hit', { key, label });
      if (opts.eagerRefresh !== undefined) this.maybeRefreshEarly(fullKey, key, loader, codec, opts, lookup);
      return lookup.value as T;
    }

    this.recordMiss(key, label);
    return this.flights.run(
      fullKey,
      (keepUntil) => this.loadThroughLease(fullKey, key, loader, codec, opts, lookup, keepUntil),
      () => this.counters.coalesced++,
    ) as Promise<T>;
  }

  /**
   * Values of many keys in the order given: one round trip for the lookups, one loader call with
   * only the missing keys (deduplicated), whose results come back in the same order.
   */
  async getMany<T>(
    keys: readonly string[],
    loader: (missing: string[]) => Promise<readonly T[]> | readonly T[],
    opts: GetOptions<T> = {},
  ): Promise<T[]> {
    if (!Array.isArray(keys)) throw new TypeError(`[cache-aside] keys must be an array of strings, got ${describe(keys)}.`);
    keys.forEach((key, i) => assertKey(key, `keys[${i}]`));
    assertFunction(loader, 'loader');
    if (keys.length === 0) return [];
    const codec = opts.serializer === undefined ? this.defaultCodec : this.codecOf(opts.serializer);
    const label = opts.label;
    const fullKeys = keys.map((key) => this.keyPrefix + key);

    let lookups: Lookup[];
    let redisUp = true;
    try {
      const raws = await this.gateway.mget(fullKeys);
      lookups = await Promise.all(
        raws.map((raw, i) =>
          raw === null || this.pending.covers(fullKeys[i]) ? ABSENT : this.readEntry(raw, codec, keys[i], 'getMany', label),
        ),
      );
    } catch (error) {
      this.reportRedis(error, 'getMany', undefined, label);
      redisUp = false;
      lookups = keys.map(() => ABSENT);
    }

    const results = new Array<T>(keys.length);
    const missingIndexes = new Map<string, number[]>();
    lookups.forEach((lookup, i) => {
      if (lookup.state === 'fresh') {
        this.counters.hit(label);
        if (this.events.listens('hit')) this.events.emit('hit', { key: keys[i], label });
        results[i] = lookup.value as T;
        return;
      }
      this.recordMiss(keys[i], label);
      const indexes = missingIndexes.get(keys[i]);
      if (indexes) indexes.push(i);
      else missingIndexes.set(keys[i], [i]);
    });
    if (missingIndexes.size === 0) return results;

    const missing = [...missingIndexes.keys()];
    const markers = redisUp
      ? await this.acquireLeases(missing, missing.map((key) => lookups[missingIndexes.get(key)![0]]))
      : missing.map(() => undefined);
    let tags: TagStamp[] | undefined;
    if (opts.tags && opts.tags.length > 0 && markers.some((m) => m !== undefined)) {
      tags = await this.tagStampsOrUndefined(opts.tags, 'getMany');
    }

    const started = Date.now();
    let values: readonly T[];
    try {
      values = await loader(missing);
    } catch (error) {
      this.counters.load(label, Date.now() - started);
      this.releaseLeases(missing, markers);
      throw error;
    }
    this.counters.load(label, Date.now() - started);
    if (!Array.isArray(values) || values.length !== missing.length) {
      this.releaseLeases(missing, markers);
      throw new BatchSizeMismatchError(missing.length, Array.isArray(values) ? values.length : 0);
    }
    missing.forEach((key, i) => {
      for (const index of missingIndexes.get(key)!) results[index] = values[i];
      const marker = markers[i];
      if (marker === undefined) return;
      if (opts.tags && opts.tags.length > 0 && tags === undefined) {
        this.track(this.releaseLease(this.keyPrefix + key, marker));
        return;
      }
      this.track(this.storeLoaded(this.keyPrefix + key, key, values[i], codec, opts, marker, tags, 'getMany'));
    });
    return results;
  }

  // ── writes ─────────────────────────────────────────────────────────────────

  /**
   * Writes a value through the same encoding as `get`. It counts as an invalidation for loads in
   * flight: their older results will not overwrite it.
   */
  async set(key: string, value: unknown, opts: SetOptions = {}): Promise<void> {
    assertKey(key);
    const ttl = opts.ttl ?? this.defaultTtl;
    assertTtl(ttl, 'ttl');
    const fullKey = this.keyPrefix + key;
    const codec = opts.serializer === undefined ? this.defaultCodec : this.codecOf(opts.serializer);
    this.flights.forget(fullKey);
    let tags: TagStamp[] | undefined;
    if (opts.tags && opts.tags.length > 0) {
      tags = await this.tagStampsOrUndefined(opts.tags, 'set');
      if (tags === undefined) {
        await this.invalidate(key);
        return;
      }
    }
    const now = Date.now();
    const expiry = expiryOf(ttl, 0, this.jitter, this.random, now);
    const entry = this.encode(value, codec, now, expiry.freshUntil, tags, key, 'set');
    if (entry === undefined) {
      // The caller meant to replace the old value: do not leave it behind.
      await this.invalidate(key);
      return;
    }
    try {
      await this.gateway.set(fullKey, entry, expiry.px);
      this.counters.sets++;
      if (this.events.listens('set')) this.events.emit('set', { key });
    } catch (error) {
      this.reportRedis(error, 'set', key);
      this.defer({ kind: 'keys', keys: [fullKey] }, 'set', key);
    }
  }

  // ── invalidation ───────────────────────────────────────────────────────────

  /** Removes entries; resolves with how many existed. Never throws for Redis trouble. */
  async invalidate(keyOrKeys: string | readonly string[]): Promise<number> {
    const keys = typeof keyOrKeys === 'string' ? [keyOrKeys] : keyOrKeys;
    if (!Array.isArray(keys)) {
      throw new TypeError(`[cache-aside] invalidate takes a key or an array of keys, got ${describe(keyOrKeys)}.`);
    }
    keys.forEach((key, i) => assertKey(key, typeof keyOrKeys === 'string' ? 'key' : `keys[${i}]`));
    const fullKeys = keys.map((key) => this.keyPrefix + key);
    for (const fullKey of fullKeys) this.flights.forget(fullKey);
    return this.runInvalidation({ kind: 'keys', keys: fullKeys }, 'invalidate', keys.length === 1 ? keys[0] : undefined);
  }

  /**
   * Removes every entry whose key (after the prefix) matches a Redis glob, e.g. `'user:*'`.
   * SCAN + UNLINK in batches on every master; never KEYS.
   */
  async invalidatePattern(glob: string): Promise<number> {
    assertKey(glob, 'pattern');
    this.flights.forgetAll();
    return this.runInvalidation({ kind: 'pattern', match: escapeGlob(this.keyPrefix) + glob }, 'invalidatePattern', glob);
  }

  /**
   * Every entry stored with any of these tags stops being served. Costs one write per tag, no
   * scan: each tag has a version token, entries carry the token they were loaded under, and a
   * read of a tagged entry compares them. Resolves with the number of tags invalidated.
   */
  async invalidateTags(tags: readonly string[]): Promise<number> {
    if (!Array.isArray(tags)) throw new TypeError(`[cache-aside] tags must be an array of strings, got ${describe(tags)}.`);
    tags.forEach((tag, i) => assertKey(tag, `tags[${i}]`));
    if (tags.length === 0) return 0;
    this.flights.forgetAll();
    return this.runInvalidation({ kind: 'tags', tags: [...tags] }, 'invalidateTags');
  }

  // ── TTL ────────────────────────────────────────────────────────────────────

  /**
   * Seconds left of the entry's TTL (rounded up, so a live entry never reports 0), `-1` for no
   * expiry, `-2` when there is no entry. A grace window after the TTL is not counted.
   */
  async getTtl(key: string): Promise<number> {
    assertKey(key);
    try {
      const { pttl, head } = await this.gateway.inspect(this.keyPrefix + key, ENTRY_HEAD_LENGTH);
      if (pttl === -2 || isLeaseMarker(head)) return -2;
      const freshUntil = isEntryHead(head) ? head.readDoubleLE(FRESH_UNTIL_OFFSET) : NaN;
      if (pttl === -1 && !Number.isFinite(freshUntil)) return -1;
      const leftMs = Number.isFinite(freshUntil) ? freshUntil - Date.now() : pttl;
      return Math.max(0, Math.ceil(Math.min(leftMs, pttl === -1 ? leftMs : pttl) / 1000));
    } catch (error) {
      this.reportRedis(error, 'getTtl', key);
      return -2;
    }
  }

  /**
   * Sets a new TTL (seconds, or `Infinity`), replacing any grace window; `false` where no entry
   * exists (a key being loaded has no entry yet).
   */
  async setTtl(key: string, seconds: number): Promise<boolean> {
    assertKey(key);
    assertTtl(seconds, 'seconds');
    const fullKey = this.keyPrefix + key;
    const px = seconds === Infinity ? 0 : Math.max(1, Math.round(seconds * 1000));
    try {
      const { pttl, head } = await this.gateway.inspect(fullKey, ENTRY_HEAD_LENGTH);
      if (pttl === -2 || isLeaseMarker(head)) return false;
      if (!isEntryHead(head)) return await this.gateway.expire(fullKey, px);
      const freshUntil = Buffer.alloc(8);
      freshUntil.writeDoubleLE(px === 0 ? Infinity : Date.now() + px);
      const id = head.subarray(ENTRY_ID_RANGE.offset, ENTRY_ID_RANGE.offset + ENTRY_ID_RANGE.length);
      return await this.gateway.setEntryTtl(fullKey, px, freshUntil, FRESH_UNTIL_OFFSET, id, ENTRY_ID_RANGE.offset);
    } catch (error) {
      this.reportRedis(error, 'setTtl', key);
      return false;
    }
  }

  // ── statistics, events, lifecycle ──────────────────────────────────────────

  stats(): CacheStats {
    return this.counters.snapshot(this.pending.size);
  }

  resetStats(): void {
    this.counters.reset();
  }

  on<E extends CacheEventName>(event: E, listener: (payload: CacheEvents[E]) => void): this {
    this.events.on(event, listener);
    return this;
  }

  off<E extends CacheEventName>(event: E, listener: (payload: CacheEvents[E]) => void): this {
    this.events.off(event, listener);
    return this;
  }

  once<E extends CacheEventName>(event: E, listener: (payload: CacheEvents[E]) => void): this {
    this.events.once(event, listener);
    return this;
  }

  /** Resolves when the writes this manager sent in the background (stores, refreshes) are done. */
  async settle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /**
   * Waits for background writes, stops replaying invalidations and detaches from the client.
   * A client passed in is never closed: it is the caller's.
   */
  async close(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.settle();
    this.gateway.detach();
  }

  // ── the miss path ──────────────────────────────────────────────────────────

  private async loadThroughLease<T>(
    fullKey: string,
    key: string,
    loader: (key: string) => T | Promise<T>,
    codec: Codec,
    opts: GetOptions<T>,
    found: Lookup,
    keepUntil: (settled: Promise<unknown>) => void,
  ): Promise<T> {
    const deadline = Date.now() + this.leaseTtlMs;
    const stale = found.state === 'stale' ? found : undefined;
    let current = found;
    for (;;) {
      const marker = newLeaseMarker();
      let leased: boolean;
      try {
        leased =
          current.state === 'stale' || current.state === 'unusable'
            ? await this.gateway.takeOver(fullKey, current.raw, marker, this.leaseTtlMs)
            : await this.gateway.acquireLease(fullKey, marker, this.leaseTtlMs);
      } catch (error) {
        this.reportRedis(error, 'get', key, opts.label);
        return this.callLoader(key, loader, opts.label);
      }
      if (leased) return this.loadAndStore(fullKey, key, loader, codec, opts, marker, stale, keepUntil);

      // Another process holds the lease or wrote meanwhile: wait for its value.
      const refused = current.state === 'stale' || current.state === 'unusable' ? current.raw : undefined;
      current = await this.awaitOtherLoad(fullKey, key, codec, deadline, opts.label, refused);
      if (current.state === 'fresh') return current.value as T;
      if (current.state === 'leased' || Date.now() >= deadline) {
        // The other load outlived its lease: load without storing rather than wait longer.
        return this.callLoader(key, loader, opts.label);
      }
    }
  }

  private async awaitOtherLoad(
    fullKey: string,
    key: string,
    codec: Codec,
    deadline: number,
    label: string | undefined,
    refused: Buffer | undefined,
  ): Promise<Lookup> {
    for await (const _ of pollSchedule(deadline)) {
      let raw: Buffer | null;
      try {
        raw = await this.gateway.get(fullKey);
      } catch (error) {
        this.reportRedis(error, 'get', key, label);
        return LEASED;
      }
      if (raw === null) return ABSENT;
      // The entry we could not take over is still there unchanged: nobody is loading it, and
      // waiting will not change that. Load without storing instead of spinning.
      if (refused !== undefined && raw.equals(refused)) return LEASED;
      const lookup = await this.readEntry(raw, codec, key, 'get', label);
      if (lookup.state !== 'leased') return lookup;
    }
    return LEASED;
  }

  private async loadAndStore<T>(
    fullKey: string,
    key: string,
    loader: (key: string) => T | Promise<T>,
    codec: Codec,
    opts: GetOptions<T>,
    marker: string,
    stale: Extract<Lookup, { state: 'stale' }> | undefined,
    keepUntil: (settled: Promise<unknown>) => void,
  ): Promise<T> {
    let tags: TagStamp[] | undefined;
    if (opts.tags && opts.tags.length > 0) {
      tags = await this.tagStampsOrUndefined(opts.tags, 'get', key);
    }
    let value: T;
    try {
      value = await this.callLoader(key, loader, opts.label);
    } catch (error) {
      const graceLeft = stale ? stale.header.freshUntil + (opts.grace ?? 0) * 1000 - Date.now() : 0;
      if (stale && graceLeft > 0) return this.serveStale(fullKey, key, stale, marker, graceLeft, error, opts.label);
      this.track(this.releaseLease(fullKey, marker));
      throw error;
    }
    if (opts.tags && opts.tags.length > 0 && tags === undefined) {
      this.track(this.releaseLease(fullKey, marker));
      return value;
    }
    const stored = this.storeLoaded(fullKey, key, value, codec, opts, marker, tags, 'get');
    keepUntil(stored);
    this.track(stored);
    return value;
  }

  /** The loader failed inside the grace window: answer with the old value and put it back. */
  private serveStale<T>(
    fullKey: string,
    key: string,
    stale: Extract<Lookup, { state: 'stale' }>,
    marker: string,
    graceLeftMs: number,
    error: unknown,
    label: string | undefined,
  ): T {
    this.report('REFRESH_FAILED', 'the loader failed; serving the previous value inside its grace window', 'get', key, error, label);
    this.counters.staleServed++;
    if (this.events.listens('stale')) this.events.emit('stale', { key, label });
    // Put the old entry back, looking fresh for a short while, so the failing loader is not
    // hammered by every caller; after that the next read tries the loader again.
    const restored = Buffer.from(stale.raw);
    const retryAt = Date.now() + Math.min(GRACE_RETRY_MS, graceLeftMs);
    restored.writeDoubleLE(retryAt, FRESH_UNTIL_OFFSET);
    this.track(
      this.gateway
        .storeIfLeased(fullKey, marker, restored, Math.max(1, Math.ceil(graceLeftMs)))
        .catch((e: unknown) => this.reportRedis(e, 'get', key, label)),
    );
    return stale.value as T;
  }

  /** Encodes and stores a loaded value under our lease; never rejects. */
  private async storeLoaded<T>(
    fullKey: string,
    key: string,
    value: T,
    codec: Codec,
    opts: GetOptions<T>,
    marker: string,
    tags: TagStamp[] | undefined,
    operation: CacheOperation,
  ): Promise<void> {
    let ttl: number;
    try {
      ttl = ttlFor(opts.ttl, this.defaultTtl, value);
    } catch (error) {
      this.report('ENCODE_FAILED', 'the ttl function threw; the value was not stored', operation, key, error, opts.label);
      return this.releaseLease(fullKey, marker);
    }
    if (!(ttl > 0)) return this.releaseLease(fullKey, marker);
    const now = Date.now();
    const expiry = expiryOf(ttl, opts.grace ?? 0, this.jitter, this.random, now);
    const entry = this.encode(value, codec, now, expiry.freshUntil, tags, key, operation, opts.label);
    if (entry === undefined) return this.releaseLease(fullKey, marker);
    try {
      if (await this.gateway.storeIfLeased(fullKey, marker, entry, expiry.px)) {
        this.counters.sets++;
        if (this.events.listens('set')) this.events.emit('set', { key });
      }
    } catch (error) {
      this.reportRedis(error, operation, key, opts.label);
    }
  }

  private async callLoader<T>(key: string, loader: (key: string) => T | Promise<T>, label: string | undefined): Promise<T> {
    const started = Date.now();
    try {
      return await loader(key);
    } finally {
      this.counters.load(label, Date.now() - started);
    }
  }

  /** Redis failed on the read: serve from the loader, still one load per key in this process. */
  private loadWithoutCache<T>(fullKey: string, key: string, loader: (key: string) => T | Promise<T>, label: string | undefined): Promise<T> {
    return this.flights.run(fullKey, () => this.callLoader(key, loader, label), () => this.counters.coalesced++) as Promise<T>;
  }

  // ── eager refresh ──────────────────────────────────────────────────────────

  private maybeRefreshEarly<T>(
    fullKey: string,
    key: string,
    loader: (key: string) => T | Promise<T>,
    codec: Codec,
    opts: GetOptions<T>,
    hit: Extract<Lookup, { state: 'fresh' }>,
  ): void {
    const { writtenAt, freshUntil } = hit.header;
    if (!Number.isFinite(freshUntil)) return;
    const refreshAt = writtenAt + (freshUntil - writtenAt) * (opts.eagerRefresh as number);
    if (Date.now() < refreshAt) return;
    const refresh = this.refreshes.run(fullKey, async () => {
      try {
        const tags = opts.tags && opts.tags.length > 0 ? await this.tagStampsOrUndefined(opts.tags, 'refresh', key) : undefined;
        const value = await this.callLoader(key, loader, opts.label);
        if (opts.tags && opts.tags.length > 0 && tags === undefined) return;
        const ttl = ttlFor(opts.ttl, this.defaultTtl, value);
        if (!(ttl > 0)) return;
        const now = Date.now();
        const expiry = expiryOf(ttl, opts.grace ?? 0, this.jitter, this.random, now);
        const entry = this.encode(value, codec, now, expiry.freshUntil, tags, key, 'refresh', opts.label);
        if (entry === undefined) return;
        if (await this.gateway.replaceIfUnchanged(fullKey, hit.header.id, ENTRY_ID_RANGE.offset, entry, expiry.px)) {
          this.counters.sets++;
          if (this.events.listens('set')) this.events.emit('set', { key });
        }
      } catch (error) {
        this.report('REFRESH_FAILED', 'eager refresh failed; the current value keeps answering', 'refresh', key, error, opts.label);
      }
    });
    this.track(refresh);
  }

  // ── reading entries ────────────────────────────────────────────────────────

  /** Decodes what a GET returned; an unusable entry is reported and becomes a miss. */
  private async readEntry(raw: Buffer, codec: Codec, key: string, operation: CacheOperation, label?: string): Promise<Lookup> {
    if (isLeaseMarker(raw)) return LEASED;
    let header: EntryHeader;
    let value: unknown;
    try {
      header = decodeEntry(raw, codec.id);
      value =
        header.kind === EntryKind.Value
          ? codec.serializer.deserialize(header.payload)
          : header.kind === EntryKind.Null
            ? null
            : undefined;
    } catch (error) {
      const reason = error instanceof EntryFormatError ? error.message : 'the serializer could not decode the stored bytes';
      this.report('DECODE_FAILED', `${reason}; treated as a miss and replaced`, operation, key, error, label);
      return { state: 'unusable', raw };
    }
    if (header.tags !== undefined && !(await this.tagsStillValid(header.tags, key, operation, label))) {
      return { state: 'unusable', raw };
    }
    return header.freshUntil > Date.now() ? { state: 'fresh', value, header, raw } : { state: 'stale', value, header, raw };
  }

  private codecOf(serializer: Serializer): Codec {
    assertSerializer(serializer, 'serializer');
    return this.codecs.of(serializer);
  }

  /** The envelope around a value, or `undefined` (reported) when it cannot or must not be stored. */
  private encode(
    value: unknown,
    codec: Codec,
    writtenAt: number,
    freshUntil: number,
    tags: TagStamp[] | undefined,
    key: string,
    operation: CacheOperation,
    label?: string,
  ): Buffer | undefined {
    let entry: Buffer;
    try {
      if (value === undefined || value === null) {
        entry = encodeEntry({
          kind: value === null ? EntryKind.Null : EntryKind.Undefined,
          codecId: codec.id,
          writtenAt,
          freshUntil,
          tags,
        });
      } else {
        entry = encodeEntry({ kind: EntryKind.Value, codecId: codec.id, writtenAt, freshUntil, tags, payload: codec.serializer.serialize(value) });
      }
    } catch (error) {
      this.report('ENCODE_FAILED', 'the value could not be encoded; it was returned but not stored', operation, key, error, label);
      return undefined;
    }
    if (entry.length > this.maxValueBytes) {
      this.report(
        'VALUE_TOO_LARGE',
        `the encoded value is ${entry.length} bytes, over maxValueBytes (${this.maxValueBytes}); it was returned but not stored`,
        operation,
        key,
        undefined,
        label,
      );
      return undefined;
    }
    return entry;
  }

  // ── tags ───────────────────────────────────────────────────────────────────

  /** The current version token of each tag, taken before a load begins; undefined if Redis fails. */
  private async tagStampsOrUndefined(tags: readonly string[], operation: CacheOperation, key?: string): Promise<TagStamp[] | undefined> {
    tags.forEach((tag, i) => assertKey(tag, `tags[${i}]`));
    try {
      return await Promise.all(
        tags.map(async (tag) => ({ tag, token: await this.gateway.ensureTagToken(this.tagKeyPrefix + tag, newTagToken()) })),
      );
    } catch (error) {
      this.reportRedis(error, operation, key);
      return undefined;
    }
  }

  private async tagsStillValid(stamps: readonly TagStamp[], key: string, operation: CacheOperation, label?: string): Promise<boolean> {
    if (this.pending.coversTags(stamps)) return false;
    try {
      const tokens = await this.gateway.getStrings(stamps.map(({ tag }) => this.tagKeyPrefix + tag));
      return stamps.every((stamp, i) => tokens[i] === stamp.token);
    } catch (error) {
      this.reportRedis(error, operation, key, label);
      return false;
    }
  }

  // ── invalidation plumbing ──────────────────────────────────────────────────

  private async runInvalidation(item: PendingInvalidation, operation: CacheOperation, key?: string): Promise<number> {
    try {
      const count = await this.executeInvalidation(item);
      if (this.events.listens('evict')) this.events.emit('evict', { ...evictPayloadOf(item, this.keyPrefix), count });
      return count;
    } catch (error) {
      this.reportRedis(error, operation, key);
      this.defer(item, operation, key);
      return 0;
    }
  }

  private async executeInvalidation(item: PendingInvalidation): Promise<number> {
    if (item.kind === 'tags') {
      await Promise.all(item.tags.map((tag) => this.gateway.setString(this.tagKeyPrefix + tag, newTagToken())));
      return item.tags.length;
    }
    const count = item.kind === 'keys' ? await this.gateway.unlink(item.keys) : await this.gateway.unlinkMatching(item.match);
    this.counters.evictions += count;
    return count;
  }

  /** Keeps a failed invalidation for replay, and says so. */
  private defer(item: PendingInvalidation, operation: CacheOperation, key?: string): void {
    this.report('INVALIDATION_DEFERRED', 'Redis is unreachable; the invalidation is queued and replayed when it is back', operation, key);
    for (const dropped of this.pending.add(item)) {
      this.report(
        'INVALIDATION_DROPPED',
        'the invalidation queue is full (raise invalidationQueueSize); the oldest pending invalidation was dropped and its entries may stay stale until their TTL',
        operation,
        dropped.kind === 'keys' ? dropped.keys[0].slice(this.keyPrefix.length) : undefined,
      );
    }
    this.scheduleReplay();
  }

  private scheduleReplay(): void {
    if (this.retryTimer || this.pending.size === 0) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.replayInvalidations();
    }, this.retryMs);
    this.retryTimer.unref();
  }

  private replayInvalidations(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    this.replaying ??= this.pending
      .replay((item) => this.executeInvalidation(item))
      .then(
        () => undefined,
        () => this.scheduleReplay(),
      )
      .finally(() => (this.replaying = undefined));
    return this.replaying;
  }

  // ── small helpers ──────────────────────────────────────────────────────────

  private async acquireLeases(keys: readonly string[], found: readonly Lookup[]): Promise<Array<string | undefined>> {
    return Promise.all(
      keys.map(async (key, i) => {
        const marker = newLeaseMarker();
        const current = found[i];
        try {
          const leased =
            current.state === 'stale' || current.state === 'unusable'
              ? await this.gateway.takeOver(this.keyPrefix + key, current.raw, marker, this.leaseTtlMs)
              : await this.gateway.acquireLease(this.keyPrefix + key, marker, this.leaseTtlMs);
          return leased ? marker : undefined;
        } catch (error) {
          this.reportRedis(error, 'getMany', key);
          return undefined;
        }
      }),
    );
  }

  private releaseLeases(keys: readonly string[], markers: ReadonlyArray<string | undefined>): void {
    keys.forEach((key, i) => {
      const marker = markers[i];
      if (marker !== undefined) this.track(this.releaseLease(this.keyPrefix + key, marker));
    });
  }

  /** Gives a lease back so others stop waiting; never rejects. */
  private async releaseLease(fullKey: string, marker: string): Promise<void> {
    try {
      await this.gateway.releaseLease(fullKey, marker);
    } catch {
      // Nothing to do: the lease expires by itself after leaseTtlMs.
    }
  }

  private track(task: Promise<unknown>): void {
    this.background.add(task);
    void task.finally(() => this.background.delete(task));
  }

  private recordMiss(key: string, label: string | undefined): void {
    this.counters.miss(label);
    if (this.events.listens('miss')) this.events.emit('miss', { key, label });
  }

  private reportRedis(error: unknown, operation: CacheOperation, key?: string, label?: string): void {
    const code = errorCodeOf(error);
    const message =
      code === 'REDIS_TIMEOUT'
        ? 'Redis did not answer within operationTimeout; served without the cache'
        : code === 'REDIS_ERROR'
          ? `Redis answered with an error (${(error as Error).message}); served without the cache`
          : 'Redis is unreachable; served without the cache';
    this.report(code, message, operation, key, error, label);
  }

  private report(code: CacheErrorCode, message: string, operation: CacheOperation, key?: string, cause?: unknown, label?: string): void {
    this.counters.error(label);
    if (this.events.listens('error')) this.events.emit('error', new CacheError(code, message, { operation, key, cause }));
  }
}

function newTagToken(): string {
  return randomBytes(TAG_TOKEN_LENGTH).toString('base64url').slice(0, TAG_TOKEN_LENGTH);
}

function evictPayloadOf(item: PendingInvalidation, prefix: string): Omit<CacheEvents['evict'], 'count'> {
  if (item.kind === 'keys') return { keys: item.keys.map((k) => k.slice(prefix.length)) };
  if (item.kind === 'tags') return { tags: item.tags };
  return { pattern: item.match };
}
