import { CacheTypeError } from '../errors/cache-type-error';
import {
  assertFunction,
  assertKey,
  assertTags,
  assertTtl,
  describe,
} from '../errors/invalid-argument';
import { LocalCoherence } from '../l1/local-coherence';
import { NO_PROCESS_TIER, type ProcessTier } from '../l1/process-tier';
import { CircuitBreaker } from '../redis/circuit-breaker';
import type { RedisClient } from '../redis/redis-client';
import { RedisGateway } from '../redis/redis-gateway';
import { assertSerializer, type Serializer } from '../serializers/serializer';
import { BackgroundRefresh } from './background-refresh';
import { BackgroundTasks } from './background-tasks';
import { BatchRead, type BatchLoader } from './batch-read';
import type { CacheAsideOptions, GetOptions, SetOptions } from './cache-aside.options';
import { assertGetOptions, assertSetOptions, resolveOptions } from './options-validation';
import type { CacheCore, Loader } from './cache-core';
import type { CacheEventName, CacheEvents } from './cache-events';
import { CodecRegistry, type Codec } from '../entry/codec';
import type { TagStamp } from '../entry/entry-format';
import { EntryReader } from './entry-reader';
import { EntryWriter } from './entry-writer';
import { assertGlobLength, escapeGlob } from '../entry/glob';
import { Invalidator } from './invalidator';
import { Leases } from './leases';
import { ABSENT, type FoundEntry, type Lookup } from './lookup';
import { MissPath } from './miss-path';
import { canJoin, SingleFlight } from './single-flight';
import type { CacheStats } from './stats';
import { TagVersions } from './tag-versions';
import { Telemetry } from './telemetry';
import { TtlOperations } from './ttl-operations';
import { expiryOf, nullTtlOf } from './ttl-policy';

/** Shared by calls without options, so a plain `get(key, loader)` allocates none. */
const NO_OPTIONS: GetOptions<never> = Object.freeze({});

/**
 * Frozen option objects already checked: a decorated method passes the same frozen options on
 * every call, so a hit checks them once, not on every call. Mutable objects are checked each time.
 */
const checkedOptions = new WeakSet();

function checkOptions(opts: GetOptions<never>): void {
  assertGetOptions(opts);
  if (Object.isFrozen(opts)) checkedOptions.add(opts);
}

/**
 * The cache-aside policy: look the key up; on a miss load it once (in this process and across
 * processes), store it, return it; evict on invalidation. Redis trouble never reaches the
 * caller: reads fall back to the loader, invalidations are queued and replayed.
 *
 * This class is the public surface and the read path; the parts it delegates to are built once
 * here and share one `CacheCore`: the miss path (`miss-path.ts`), batch reads (`batch-read.ts`),
 * background refreshes (`background-refresh.ts`), invalidations (`invalidator.ts`) and the
 * in-process tier (`lib/l1`).
 */
export class CacheAsideManager {
  readonly keyPrefix: string;
  readonly defaultTtl: number;
  private readonly nullTtl: number | false | undefined;

  private readonly gateway: RedisGateway;
  private readonly telemetry = new Telemetry();
  private readonly background = new BackgroundTasks();
  private readonly flights = new SingleFlight();
  private readonly codecs = new CodecRegistry();
  private readonly defaultCodec: Codec;
  private readonly writer: EntryWriter;
  private readonly reader: EntryReader;
  private readonly invalidator: Invalidator;
  private readonly l1: ProcessTier;
  private readonly missPath: MissPath;
  private readonly batchRead: BatchRead;
  private readonly refresher: BackgroundRefresh;
  private readonly ttl: TtlOperations;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(options: CacheAsideOptions) {
    const resolved = resolveOptions(options);
    this.keyPrefix = resolved.keyPrefix;
    this.defaultTtl = resolved.defaultTtl;
    this.nullTtl = resolved.nullTtl;
    this.defaultCodec = this.codecs.of(resolved.serializer);
    this.jitter = resolved.ttlJitter;
    this.random = resolved.random;
    this.gateway = new RedisGateway(resolved.redis, {
      operationTimeout: resolved.operationTimeoutMs,
      scanCount: resolved.scanCount,
      coalesceWrites: resolved.coalesceWrites,
      breaker: new CircuitBreaker(resolved.circuitBreaker),
    });
    const tags = new TagVersions(this.gateway, this.keyPrefix);
    this.l1 =
      resolved.l1 === undefined
        ? NO_PROCESS_TIER
        : new LocalCoherence(resolved.l1, this.gateway, this.keyPrefix, (error, item, op, key) => {
            this.telemetry.redisFailed(error, op, key);
            this.invalidator.defer(item, op, key);
          });
    this.invalidator = new Invalidator(this.gateway, tags, this.telemetry, {
      keyPrefix: this.keyPrefix,
      queueSize: resolved.invalidationQueueSize,
      retryMs: resolved.invalidationRetryMs,
      publish: this.l1.publish,
    });
    this.invalidator.onInvalidation((item) => {
      this.l1.drop(item);
    });
    this.writer = new EntryWriter(this.telemetry, {
      defaultTtl: this.defaultTtl,
      nullTtl: resolved.nullTtl,
      jitter: resolved.ttlJitter,
      random: resolved.random,
      maxValueBytes: resolved.maxValueBytes,
    });
    this.reader = new EntryReader(this.telemetry, tags, this.invalidator);
    const core: CacheCore = {
      keyPrefix: this.keyPrefix,
      gateway: this.gateway,
      telemetry: this.telemetry,
      background: this.background,
      writer: this.writer,
      reader: this.reader,
      leases: new Leases(
        this.gateway,
        this.telemetry,
        this.background,
        this.keyPrefix,
        resolved.leaseTtlMs,
      ),
      invalidator: this.invalidator,
      flights: this.flights,
      local: this.l1,
    };
    this.missPath = new MissPath(core);
    this.batchRead = new BatchRead(core, this.missPath);
    this.refresher = new BackgroundRefresh(core, this.missPath);
    this.ttl = new TtlOperations(core);
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
  async get<T>(
    key: string,
    loader: Loader<T>,
    opts: GetOptions<T> = NO_OPTIONS as GetOptions<T>,
  ): Promise<T> {
    assertKey(key);
    assertFunction(loader, 'loader');
    if (opts !== NO_OPTIONS && !checkedOptions.has(opts)) checkOptions(opts);
    const fullKey = this.keyPrefix + key;
    const codec = opts.serializer === undefined ? this.defaultCodec : this.codecOf(opts.serializer);
    const label = opts.label;

    if (this.invalidator.covers(fullKey)) {
      // An invalidation of this key has not reached Redis yet: the entry there may be the stale
      // one it was meant to remove. Serve from the loader, store nothing, and try the replay.
      void this.invalidator.replay();
      this.telemetry.miss(key, label);
      return this.missPath.withoutCache(fullKey, key, loader, label);
    }
    const local = this.l1.lookup(fullKey, codec);
    if (local !== undefined) {
      this.telemetry.counters.l1Hits++;
      this.telemetry.hit(key, label);
      return local.value as T;
    }
    let lookup: Lookup = ABSENT;
    const epoch = this.l1.epoch;
    try {
      const raw = await this.gateway.get(fullKey);
      if (raw !== null) {
        const read = this.reader.read(raw, codec, key, 'get', label);
        lookup = read instanceof Promise ? await read : read;
      }
    } catch (error) {
      this.telemetry.redisFailed(error, 'get', key, label);
      this.telemetry.miss(key, label);
      return this.missPath.withoutCache(fullKey, key, loader, label);
    }

    if (lookup.state === 'fresh') {
      this.telemetry.hit(key, label);
      this.l1.keep(
        fullKey,
        lookup.value,
        codec,
        lookup.header,
        lookup.raw.length,
        epoch,
        opts.eagerRefresh,
      );
      if (opts.eagerRefresh !== undefined && pastRefreshPoint(lookup, opts.eagerRefresh)) {
        this.refresher.refresh(fullKey, key, loader, codec, opts, lookup);
      }
      return lookup.value as T;
    }
    if (
      lookup.state === 'stale' &&
      Date.now() < lookup.header.freshUntil + (opts.staleWhileRevalidate ?? 0) * 1000
    ) {
      // Stale-while-revalidate: answer now with the old value, refresh once in the background.
      this.telemetry.hit(key, label);
      this.telemetry.staleServed(key, label);
      this.refresher.refresh(fullKey, key, loader, codec, opts, lookup);
      return lookup.value as T;
    }
    this.telemetry.miss(key, label);
    return this.flights.run(
      fullKey,
      (flight) => this.missPath.load(fullKey, key, loader, codec, opts, lookup, flight),
      () => this.telemetry.counters.coalesced++,
      (flight) => canJoin(flight, lookup),
    ) as Promise<T>;
  }

  /**
   * Values of many keys in the order given: one round trip for the lookups, one loader call with
   * only the missing keys (deduplicated), whose results come back in the same order.
   */
  async getMany<T>(
    keys: readonly string[],
    loader: BatchLoader<T>,
    opts: GetOptions<T> = {},
  ): Promise<T[]> {
    if (!Array.isArray(keys))
      throw new CacheTypeError(
        'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
        `[cache-aside] keys must be an array of strings, got ${describe(keys)}.`,
      );
    keys.forEach((key, i) => {
      assertKey(key, `keys[${i}]`);
    });
    assertFunction(loader, 'loader');
    assertGetOptions(opts, 'getMany()');
    if (keys.length === 0) return [];
    const codec = opts.serializer === undefined ? this.defaultCodec : this.codecOf(opts.serializer);
    return this.batchRead.read(keys, loader, codec, opts);
  }

  // ── writes ─────────────────────────────────────────────────────────────────

  /**
   * Writes a value through the same encoding as `get`. It counts as an invalidation for loads in
   * flight: their older results will not overwrite it.
   */
  async set(key: string, value: unknown, opts: SetOptions = {}): Promise<void> {
    assertKey(key);
    assertSetOptions(opts);
    const nullTtl = nullTtlOf(value, opts.nullTtl, this.nullTtl);
    const ttl = nullTtl === false ? 0 : (nullTtl ?? opts.ttl ?? this.defaultTtl);
    if (nullTtl !== false) assertTtl(ttl, 'ttl');
    const fullKey = this.keyPrefix + key;
    const codec = opts.serializer === undefined ? this.defaultCodec : this.codecOf(opts.serializer);
    this.flights.forget(fullKey);
    this.l1.drop({ kind: 'keys', keys: [fullKey] });
    if (nullTtl === false) {
      // Never stored, but the caller meant to replace the old value: do not leave it behind.
      await this.invalidate(key);
      return;
    }
    let tags: TagStamp[] | undefined;
    if (opts.tags && opts.tags.length > 0) {
      tags = await this.reader.stamps(opts.tags, 'set', key);
      if (tags === undefined) {
        await this.invalidate(key);
        return;
      }
    }
    const now = Date.now();
    const expiry = expiryOf(ttl, 0, this.jitter, this.random, now);
    const entry = this.writer.encode(value, codec, now, expiry.freshUntil, tags, key, 'set');
    if (entry === undefined) {
      // The caller meant to replace the old value: do not leave it behind.
      await this.invalidate(key);
      return;
    }
    const epoch = this.l1.epoch;
    try {
      await this.gateway.set(fullKey, entry, expiry.px);
      this.telemetry.stored(key);
      const header = { writtenAt: now, freshUntil: expiry.freshUntil, tags };
      this.l1.keep(fullKey, value, codec, header, entry.length, epoch);
      await this.l1.tellOthers(fullKey, 'set', key);
    } catch (error) {
      this.telemetry.redisFailed(error, 'set', key);
      this.invalidator.defer({ kind: 'keys', keys: [fullKey] }, 'set', key);
    }
  }

  // ── invalidation ───────────────────────────────────────────────────────────

  /** Removes entries; resolves with how many existed. Never throws for Redis trouble. */
  async invalidate(keyOrKeys: string | readonly string[]): Promise<number> {
    const keys = typeof keyOrKeys === 'string' ? [keyOrKeys] : keyOrKeys;
    if (!Array.isArray(keys)) {
      throw new CacheTypeError(
        'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
        `[cache-aside] invalidate takes a key or an array of keys, got ${describe(keyOrKeys)}.`,
      );
    }
    keys.forEach((key, i) => {
      assertKey(key, typeof keyOrKeys === 'string' ? 'key' : `keys[${i}]`);
    });
    if (keys.length === 0) return 0;
    const fullKeys = keys.map((key) => this.keyPrefix + key);
    for (const fullKey of fullKeys) this.flights.forget(fullKey);
    return this.invalidator.run(
      { kind: 'keys', keys: fullKeys },
      'invalidate',
      keys.length === 1 ? keys[0] : undefined,
    );
  }

  /**
   * Removes every entry whose key (after the prefix) matches a Redis glob, e.g. `'user:*'`.
   * SCAN + UNLINK in batches on every master; never KEYS.
   */
  async invalidatePattern(glob: string): Promise<number> {
    assertKey(glob, 'pattern');
    assertGlobLength(glob);
    this.flights.forgetAll();
    return this.invalidator.run(
      { kind: 'pattern', match: escapeGlob(this.keyPrefix) + glob },
      'invalidatePattern',
      glob,
    );
  }

  /**
   * Every entry stored with any of these tags stops being served (see `tag-versions.ts` for the
   * cost). Resolves with the number of tags invalidated.
   */
  async invalidateTags(tags: readonly string[]): Promise<number> {
    assertTags(tags);
    if (tags.length === 0) return 0;
    this.flights.forgetAll();
    return this.invalidator.run({ kind: 'tags', tags: [...tags] }, 'invalidateTags');
  }

  // ── TTL ────────────────────────────────────────────────────────────────────

  /** See {@link TtlOperations.getTtl}. */
  getTtl(key: string): Promise<number> {
    return this.ttl.getTtl(key);
  }

  /** See {@link TtlOperations.setTtl}. */
  setTtl(key: string, seconds: number): Promise<boolean> {
    return this.ttl.setTtl(key, seconds);
  }

  // ── statistics, events, lifecycle ──────────────────────────────────────────

  stats(): CacheStats {
    return this.telemetry.counters.snapshot(
      this.invalidator.pending,
      this.gateway.circuit,
      this.l1.size,
      this.l1.bytes,
    );
  }

  resetStats(): void {
    this.telemetry.counters.reset();
  }

  on<E extends CacheEventName>(event: E, listener: (payload: CacheEvents[E]) => void): this {
    this.telemetry.events.on(event, listener);
    return this;
  }

  off<E extends CacheEventName>(event: E, listener: (payload: CacheEvents[E]) => void): this {
    this.telemetry.events.off(event, listener);
    return this;
  }

  once<E extends CacheEventName>(event: E, listener: (payload: CacheEvents[E]) => void): this {
    this.telemetry.events.once(event, listener);
    return this;
  }

  /** Resolves when the writes this manager sent in the background (stores, refreshes) are done. */
  async settle(): Promise<void> {
    await this.background.settle();
  }

  /**
   * Waits for background writes, stops replaying invalidations and detaches from the client.
   * A client passed in is never closed: it is the caller's.
   */
  async close(): Promise<void> {
    this.invalidator.stop();
    await this.settle();
    await this.l1.close();
    this.gateway.detach();
  }

  private codecOf(serializer: Serializer): Codec {
    assertSerializer(serializer, 'serializer');
    return this.codecs.of(serializer);
  }
}

/** True once a hit is past the eager refresh point (a fraction of its TTL). */
function pastRefreshPoint(found: FoundEntry, fraction: number): boolean {
  const { writtenAt, freshUntil } = found.header;
  return (
    Number.isFinite(freshUntil) && Date.now() >= writtenAt + (freshUntil - writtenAt) * fraction
  );
}
