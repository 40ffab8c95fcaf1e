import { CacheError, type CacheOperation } from '../errors/cache-error';
import { BatchSizeMismatchError } from '../errors/batch-size-mismatch.error';
import {
  assertFunction,
  assertKey,
  assertTags,
  assertTtl,
  describe,
} from '../errors/invalid-argument';
import { CircuitBreaker } from '../redis/circuit-breaker';
import type { RedisClient } from '../redis/redis-client';
import { RedisGateway } from '../redis/redis-gateway';
import { assertSerializer, type Serializer } from '../serializers/serializer';
import { InvalidationBus } from '../l1/invalidation-bus';
import { LocalTier } from '../l1/local-tier';
import { assertGetOptions, resolveOptions, type CacheAsideOptions, type GetOptions, type SetOptions } from './cache-aside.options';
import type { CacheEventName, CacheEvents } from './cache-events';
import { CodecRegistry, type Codec } from './codec';
import {
  EntryFormatError,
  entryIdOf,
  ENTRY_HEAD_LENGTH,
  ENTRY_ID_RANGE,
  FRESH_UNTIL_OFFSET,
  isEntryHead,
  WRITTEN_AT_OFFSET,
  isLeaseMarker,
  type EntryHeader,
  type TagStamp,
} from './entry-format';
import { escapeGlob, globToRegExp } from './glob';
import type { PendingInvalidation } from './invalidation-queue';
import { Invalidator } from './invalidator';
import { newLeaseMarker, pollSchedule } from './load-lease';
import { ABSENT, decodeLookup, encodeValue, LEASED, type FoundEntry, type Lookup } from './lookup';
import { SingleFlight, type Flight } from './single-flight';
import type { CacheStats } from './stats';
import { TagVersions } from './tag-versions';
import { Telemetry } from './telemetry';
import { raceTimeout, TIMED_OUT } from './timeout-race';
import { expiryOf, ttlFor } from './ttl-policy';

type Loader<T> = (key: string) => T | Promise<T>;

/** Shared by calls without options, so a plain `get(key, loader)` allocates none. */
const NO_OPTIONS: GetOptions<never> = Object.freeze({});

/** How long a failing loader is left alone while a stale value answers inside its grace window. */
const GRACE_RETRY_MS = 1000;
/** Waiting past a lease's TTL by this much lets a waiter see a crashed holder's lease expire. */
const LEASE_EXPIRY_MARGIN_MS = 100;
/** Leases a caller waits through (each ends in a value, a release, or an expiry) before it loads alone. */
const MAX_LEASE_ROUNDS = 3;

/**
 * The cache-aside policy: look the key up; on a miss load it once (in this process and across
 * processes), store it, return it; evict on invalidation. Redis trouble never reaches the
 * caller: reads fall back to the loader, invalidations are queued and replayed.
 */
export class CacheAsideManager {
  readonly keyPrefix: string;
  readonly defaultTtl: number;

  private readonly gateway: RedisGateway;
  private readonly telemetry = new Telemetry();
  private readonly flights = new SingleFlight<unknown>();
  private readonly refreshes = new SingleFlight<unknown>();
  private readonly codecs = new CodecRegistry();
  private readonly defaultCodec: Codec;
  private readonly tags: TagVersions;
  private readonly invalidator: Invalidator;
  private readonly background = new Set<Promise<unknown>>();
  private readonly jitter: number;
  private readonly maxValueBytes: number;
  private readonly leaseTtlMs: number;
  private readonly random: () => number;
  private readonly l1: LocalTier | undefined;
  private readonly bus: InvalidationBus | undefined;

  constructor(options: CacheAsideOptions) {
    const resolved = resolveOptions(options);
    this.keyPrefix = resolved.keyPrefix;
    this.defaultTtl = resolved.defaultTtl;
    this.defaultCodec = this.codecs.of(resolved.serializer);
    this.jitter = resolved.ttlJitter;
    this.maxValueBytes = resolved.maxValueBytes;
    this.leaseTtlMs = resolved.leaseTtlMs;
    this.random = resolved.random;
    this.gateway = new RedisGateway(resolved.redis, {
      operationTimeout: resolved.operationTimeout,
      scanCount: resolved.scanCount,
      breaker: new CircuitBreaker(resolved.circuitBreaker),
    });
    this.tags = new TagVersions(this.gateway, this.keyPrefix);
    if (resolved.l1 !== undefined) {
      const l1 = new LocalTier(resolved.l1);
      this.l1 = l1;
      this.bus = new InvalidationBus(this.gateway, this.keyPrefix, {
        onMessage: (message) => this.dropLocal(message),
        onUnreadable: () => l1.clear(),
        onLiveChange: () => l1.clear(),
      });
    }
    const bus = this.bus;
    this.invalidator = new Invalidator(this.gateway, this.tags, this.telemetry, {
      keyPrefix: this.keyPrefix,
      queueSize: resolved.invalidationQueueSize,
      retryMs: resolved.invalidationRetryMs,
      publish: bus && ((item) => bus.publish(item)),
    });
    this.invalidator.onInvalidation((item) => this.dropLocal(item));
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
  async get<T>(key: string, loader: Loader<T>, opts: GetOptions<T> = NO_OPTIONS as GetOptions<T>): Promise<T> {
    assertKey(key);
    assertFunction(loader, 'loader');
    if (opts !== NO_OPTIONS) assertGetOptions(opts as GetOptions<never>);
    const fullKey = this.keyPrefix + key;
    const codec = opts.serializer === undefined ? this.defaultCodec : this.codecOf(opts.serializer);
    const label = opts.label;

    if (this.invalidator.covers(fullKey)) {
      // An invalidation of this key has not reached Redis yet: the entry there may be the stale
      // one it was meant to remove. Serve from the loader, store nothing, and try the replay.
      void this.invalidator.replay();
      this.telemetry.miss(key, label);
      return this.loadWithoutCache(fullKey, key, loader, label);
    }
    if (this.l1 !== undefined) {
      const local = this.l1.get(fullKey, Date.now());
      if (local !== undefined && local.codec === codec) {
        this.telemetry.counters.l1Hits++;
        this.telemetry.hit(key, label);
        return local.value as T;
      }
    }
    let lookup: Lookup = ABSENT;
    const epoch = this.l1?.epoch ?? 0;
    try {
      const raw = await this.gateway.get(fullKey);
      if (raw !== null) {
        const read = this.readEntry(raw, codec, key, 'get', label);
        lookup = read instanceof Promise ? await read : read;
      }
    } catch (error) {
      this.telemetry.redisFailed(error, 'get', key, label);
      this.telemetry.miss(key, label);
      return this.loadWithoutCache(fullKey, key, loader, label);
    }

    if (lookup.state === 'fresh') {
      this.telemetry.hit(key, label);
      if (this.l1 !== undefined) this.keepLocal(fullKey, lookup.value, codec, lookup.header, lookup.raw.length, opts, epoch);
      if (opts.eagerRefresh !== undefined && pastRefreshPoint(lookup, opts.eagerRefresh)) {
        this.refreshInBackground(fullKey, key, loader, codec, opts, lookup);
      }
      return lookup.value as T;
    }
    if (lookup.state === 'stale' && Date.now() < lookup.header.freshUntil + (opts.staleWhileRevalidate ?? 0) * 1000) {
      // Stale-while-revalidate: answer now with the old value, refresh once in the background.
      this.telemetry.hit(key, label);
      this.telemetry.staleServed(key, label);
      this.refreshInBackground(fullKey, key, loader, codec, opts, lookup);
      return lookup.value as T;
    }
    this.telemetry.miss(key, label);
    return this.flights.run(
      fullKey,
      (flight) => this.loadThroughLease(fullKey, key, loader, codec, opts, lookup, flight),
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
    loader: (missing: string[]) => Promise<readonly T[]> | readonly T[],
    opts: GetOptions<T> = {},
  ): Promise<T[]> {
    if (!Array.isArray(keys)) throw new TypeError(`[cache-aside] keys must be an array of strings, got ${describe(keys)}.`);
    keys.forEach((key, i) => assertKey(key, `keys[${i}]`));
    assertFunction(loader, 'loader');
    assertGetOptions(opts as GetOptions<never>);
    if (keys.length === 0) return [];
    const codec = opts.serializer === undefined ? this.defaultCodec : this.codecOf(opts.serializer);
    const label = opts.label;
    const fullKeys = keys.map((key) => this.keyPrefix + key);

    const lookups = new Array<Lookup>(keys.length);
    const remote: number[] = [];
    const now = Date.now();
    const epoch = this.l1?.epoch ?? 0;
    fullKeys.forEach((fullKey, i) => {
      const local = this.l1?.get(fullKey, now);
      if (local !== undefined && local.codec === codec) {
        this.telemetry.counters.l1Hits++;
        lookups[i] = { state: 'local', value: local.value };
      } else remote.push(i);
    });
    let redisUp = true;
    try {
      const raws = remote.length === 0 ? [] : await this.gateway.mget(remote.map((i) => fullKeys[i]));
      await Promise.all(
        raws.map(async (raw, r) => {
          const i = remote[r];
          lookups[i] =
            raw === null || this.invalidator.covers(fullKeys[i]) ? ABSENT : await this.readEntry(raw, codec, keys[i], 'getMany', label);
          const found = lookups[i];
          if (found.state === 'fresh' && this.l1 !== undefined) {
            this.keepLocal(fullKeys[i], found.value, codec, found.header, found.raw.length, opts, epoch);
          }
        }),
      );
    } catch (error) {
      this.telemetry.redisFailed(error, 'getMany', undefined, label);
      redisUp = false;
      for (const i of remote) lookups[i] = ABSENT;
    }

    const results = new Array<T>(keys.length);
    const missingIndexes = new Map<string, number[]>();
    lookups.forEach((lookup, i) => {
      if (lookup.state === 'fresh' || lookup.state === 'local') {
        this.telemetry.hit(keys[i], label);
        results[i] = lookup.value as T;
        return;
      }
      this.telemetry.miss(keys[i], label);
      const indexes = missingIndexes.get(keys[i]);
      if (indexes) indexes.push(i);
      else missingIndexes.set(keys[i], [i]);
    });
    if (missingIndexes.size === 0) return results;

    // Keys another call in this process is already loading are joined, not loaded again.
    const joined: Array<Promise<void>> = [];
    const missing: string[] = [];
    for (const [key, indexes] of missingIndexes) {
      const lookup = lookups[indexes[0]];
      const inFlight = this.flights.joinable(this.keyPrefix + key, (flight) => canJoin(flight, lookup));
      if (inFlight === undefined) {
        missing.push(key);
        continue;
      }
      this.telemetry.counters.coalesced++;
      joined.push(
        inFlight.then((value) => {
          for (const index of indexes) results[index] = value as T;
        }),
      );
    }
    if (missing.length > 0) await this.loadBatch(missing, missingIndexes, lookups, results, loader, codec, opts, redisUp, epoch);
    await Promise.all(joined);
    return results;
  }

  /**
   * The batch part of `getMany`: each key becomes a load in flight (so concurrent reads of it
   * join), leases are taken, the loader is called once with the keys, and each value is stored
   * under its own lease. Keys leased by another process are loaded here but not stored.
   */
  private async loadBatch<T>(
    missing: readonly string[],
    missingIndexes: ReadonlyMap<string, readonly number[]>,
    lookups: readonly Lookup[],
    results: T[],
    loader: (missing: string[]) => Promise<readonly T[]> | readonly T[],
    codec: Codec,
    opts: GetOptions<T>,
    redisUp: boolean,
    epoch: number,
  ): Promise<void> {
    const label = opts.label;
    const settles: Array<{ resolve(value: T): void; reject(error: unknown): void; flight: Flight }> = [];
    for (const key of missing) {
      let settle!: (typeof settles)[number];
      this.flights.run(this.keyPrefix + key, (flight) => {
        const pending = new Promise<T>((resolve, reject) => (settle = { resolve, reject, flight }));
        return pending;
      });
      settles.push(settle);
    }
    const fail = (error: unknown): never => {
      for (const { reject } of settles) reject(error);
      throw error;
    };

    const markers = redisUp
      ? await this.acquireLeases(missing, missing.map((key) => lookups[missingIndexes.get(key)![0]]))
      : missing.map(() => undefined);
    markers.forEach((marker, i) => (settles[i].flight.lease = marker));
    const wantsTags = opts.tags !== undefined && opts.tags.length > 0;
    const tags = wantsTags && markers.some((m) => m !== undefined) ? await this.tagStamps(opts.tags!, 'getMany') : undefined;

    const started = Date.now();
    let values: readonly T[];
    try {
      values = await loader([...missing]);
    } catch (error) {
      this.telemetry.counters.load(label, Date.now() - started);
      this.releaseLeases(missing, markers);
      return fail(error);
    }
    this.telemetry.counters.load(label, Date.now() - started);
    if (!Array.isArray(values) || values.length !== missing.length) {
      this.releaseLeases(missing, markers);
      return fail(new BatchSizeMismatchError(missing.length, Array.isArray(values) ? values.length : undefined));
    }
    missing.forEach((key, i) => {
      for (const index of missingIndexes.get(key)!) results[index] = values[i];
      settles[i].resolve(values[i]);
      const marker = markers[i];
      if (marker === undefined) return;
      this.storeLoaded(this.keyPrefix + key, key, values[i], codec, opts, marker, tags, 'getMany', epoch);
    });
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
    if (opts.tags !== undefined) assertTags(opts.tags);
    const fullKey = this.keyPrefix + key;
    const codec = opts.serializer === undefined ? this.defaultCodec : this.codecOf(opts.serializer);
    this.flights.forget(fullKey);
    this.l1?.invalidate(fullKey);
    let tags: TagStamp[] | undefined;
    if (opts.tags && opts.tags.length > 0) {
      tags = await this.tagStamps(opts.tags, 'set', key);
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
    const epoch = this.l1?.epoch ?? 0;
    try {
      await this.gateway.set(fullKey, entry, expiry.px);
      this.telemetry.stored(key);
      if (this.bus !== undefined) {
        this.keepLocal(fullKey, value, codec, { writtenAt: now, freshUntil: expiry.freshUntil, tags }, entry.length, {}, epoch);
        await this.tellOthers(fullKey, 'set', key);
      }
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
      throw new TypeError(`[cache-aside] invalidate takes a key or an array of keys, got ${describe(keyOrKeys)}.`);
    }
    keys.forEach((key, i) => assertKey(key, typeof keyOrKeys === 'string' ? 'key' : `keys[${i}]`));
    if (keys.length === 0) return 0;
    const fullKeys = keys.map((key) => this.keyPrefix + key);
    for (const fullKey of fullKeys) this.flights.forget(fullKey);
    return this.invalidator.run({ kind: 'keys', keys: fullKeys }, 'invalidate', keys.length === 1 ? keys[0] : undefined);
  }

  /**
   * Removes every entry whose key (after the prefix) matches a Redis glob, e.g. `'user:*'`.
   * SCAN + UNLINK in batches on every master; never KEYS.
   */
  async invalidatePattern(glob: string): Promise<number> {
    assertKey(glob, 'pattern');
    this.flights.forgetAll();
    return this.invalidator.run({ kind: 'pattern', match: escapeGlob(this.keyPrefix) + glob }, 'invalidatePattern', glob);
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
      this.telemetry.redisFailed(error, 'getTtl', key);
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
      const changed = await this.gateway.setEntryTtl(fullKey, px, freshUntil, FRESH_UNTIL_OFFSET, entryIdOf(head), ENTRY_ID_RANGE.offset);
      if (changed && this.l1 !== undefined) {
        // Copies in process keep the expiry they were read with: drop them here and elsewhere.
        this.dropLocal({ kind: 'keys', keys: [fullKey] });
        await this.tellOthers(fullKey, 'setTtl', key);
      }
      return changed;
    } catch (error) {
      this.telemetry.redisFailed(error, 'setTtl', key);
      return false;
    }
  }

  // ── statistics, events, lifecycle ──────────────────────────────────────────

  stats(): CacheStats {
    return this.telemetry.counters.snapshot(this.invalidator.pending, this.gateway.circuit, this.l1?.size, this.l1?.bytes);
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
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /**
   * Waits for background writes, stops replaying invalidations and detaches from the client.
   * A client passed in is never closed: it is the caller's.
   */
  async close(): Promise<void> {
    this.invalidator.stop();
    await this.settle();
    await this.bus?.close();
    this.gateway.detach();
  }

  // ── the miss path ──────────────────────────────────────────────────────────

  /**
   * Takes the load lease (or waits for the process that has it), then loads and stores. A lease
   * that vanishes while we wait (released, expired after its holder crashed, invalidated) is
   * taken again, and the new holder gets a full lease period, so a crash still costs one load.
   */
  private async loadThroughLease<T>(
    fullKey: string,
    key: string,
    loader: Loader<T>,
    codec: Codec,
    opts: GetOptions<T>,
    found: Lookup,
    flight: Flight,
  ): Promise<T> {
    const stale = found.state === 'stale' ? found : undefined;
    let current = found;
    for (let round = 1; ; round++) {
      const marker = newLeaseMarker();
      let leased: boolean;
      try {
        leased = await this.takeLease(fullKey, current, marker);
      } catch (error) {
        this.telemetry.redisFailed(error, 'get', key, opts.label);
        return this.callLoader(key, loader, opts.label);
      }
      if (leased) {
        flight.lease = marker;
        return this.loadAndStore(fullKey, key, loader, codec, opts, marker, stale);
      }

      // Another process holds the lease or wrote meanwhile: wait for its value, a little past
      // the lease's own expiry so that a crashed holder's lease is seen to go.
      const deadline = Date.now() + this.leaseTtlMs + LEASE_EXPIRY_MARGIN_MS;
      const refused = current.state === 'stale' || current.state === 'unusable' ? current.raw : undefined;
      const waited = await this.awaitOtherLoad(fullKey, key, codec, deadline, opts.label, refused);
      current = waited.lookup;
      if (current.state === 'fresh') return current.value as T;
      // Still leased, but by another holder than at first (the first one's lease expired and a
      // new one took over): that holder deserves a full lease period too.
      const newHolder = current.state === 'leased' && waited.holderChanged;
      if ((current.state === 'leased' && !newHolder) || round >= MAX_LEASE_ROUNDS) {
        // The other load outlived its lease: load without storing rather than wait longer.
        return this.callLoader(key, loader, opts.label);
      }
    }
  }

  /** `SET NX` for an absent key; compare-and-set over an unusable or stale entry we read. */
  private takeLease(fullKey: string, current: Lookup, marker: string): Promise<boolean> {
    return current.state === 'stale' || current.state === 'unusable'
      ? this.gateway.takeOver(fullKey, current.raw, marker, this.leaseTtlMs)
      : this.gateway.acquireLease(fullKey, marker, this.leaseTtlMs);
  }

  /**
   * Polls until the key holds a usable entry, vanishes, or the deadline passes; says whether
   * the lease holder changed on the way (a new lease, not the one we started waiting for).
   */
  private async awaitOtherLoad(
    fullKey: string,
    key: string,
    codec: Codec,
    deadline: number,
    label: string | undefined,
    refused: Buffer | undefined,
  ): Promise<{ lookup: Lookup; holderChanged: boolean }> {
    let firstHolder: string | undefined;
    let lastHolder: string | undefined;
    const result = (lookup: Lookup): { lookup: Lookup; holderChanged: boolean } => ({
      lookup,
      holderChanged: firstHolder !== lastHolder,
    });
    for await (const _ of pollSchedule(deadline)) {
      let raw: Buffer | null;
      try {
        raw = await this.gateway.get(fullKey);
      } catch (error) {
        this.telemetry.redisFailed(error, 'get', key, label);
        return result(LEASED);
      }
      if (raw === null) return result(ABSENT);
      // The entry we could not take over is still there unchanged: nobody is loading it, and
      // waiting will not change that. Load without storing instead of spinning.
      if (refused !== undefined && raw.equals(refused)) return result(LEASED);
      const lookup = await this.readEntry(raw, codec, key, 'get', label);
      if (lookup.state !== 'leased') return result(lookup);
      firstHolder ??= lookup.marker;
      lastHolder = lookup.marker;
    }
    return result(LEASED);
  }

  /**
   * Runs the loader under our lease and stores its result. With an old value inside its grace
   * window, a failing loader is answered by that value; timeouts (soft with an old value, hard
   * always) stop the caller waiting while the load goes on and stores when it is done.
   */
  private async loadAndStore<T>(
    fullKey: string,
    key: string,
    loader: Loader<T>,
    codec: Codec,
    opts: GetOptions<T>,
    marker: string,
    stale: FoundEntry | undefined,
  ): Promise<T> {
    // Taken before the load: any invalidation this process hears of during it keeps the result
    // out of the in-process tier (the Redis side is guarded by the lease and the tag stamps).
    const epoch = this.l1?.epoch ?? 0;
    const wantsTags = opts.tags !== undefined && opts.tags.length > 0;
    // Tag tokens are read before the loader runs: an invalidation during the load then shows.
    const tags = wantsTags ? await this.tagStamps(opts.tags!, 'get', key) : undefined;
    const graceEnds = stale ? stale.header.freshUntil + (opts.grace ?? 0) * 1000 : 0;
    const outcome = this.callLoader(key, loader, opts.label).then(
      (value) => {
        this.storeLoaded(fullKey, key, value, codec, opts, marker, tags, 'get', epoch);
        return { value };
      },
      (error: unknown) => {
        if (stale && graceEnds > Date.now()) this.restoreStale(fullKey, key, stale, marker, graceEnds, error, opts.label);
        else this.track(this.releaseLease(fullKey, marker));
        return { error };
      },
    );
    const waitMs = Math.min(
      stale && graceEnds > Date.now() ? (opts.softTimeoutMs ?? Infinity) : Infinity,
      opts.hardTimeoutMs ?? Infinity,
    );
    const result = waitMs === Infinity ? await outcome : await raceTimeout(outcome, waitMs);
    if (result !== TIMED_OUT && 'value' in result) return result.value;
    if (stale && graceEnds > Date.now()) {
      this.telemetry.staleServed(key, opts.label);
      return stale.value as T;
    }
    if (result === TIMED_OUT) {
      throw new CacheError('LOADER_TIMEOUT', `the loader did not answer within hardTimeoutMs (${opts.hardTimeoutMs} ms); it goes on in the background`, {
        operation: 'get',
        key,
      });
    }
    throw result.error;
  }

  /**
   * The loader failed inside the grace window: put the old entry back, looking fresh for a short
   * while, so that the failing loader is not hammered by every caller; after that the next read
   * tries the loader again.
   */
  private restoreStale(
    fullKey: string,
    key: string,
    stale: FoundEntry,
    marker: string,
    graceEnds: number,
    error: unknown,
    label: string | undefined,
  ): void {
    this.telemetry.report('REFRESH_FAILED', 'the loader failed; serving the previous value inside its grace window', 'get', key, error, label);
    const graceLeftMs = graceEnds - Date.now();
    const restored = Buffer.from(stale.raw);
    const retryAt = Date.now() + Math.min(GRACE_RETRY_MS, graceLeftMs);
    restored.writeDoubleLE(retryAt, FRESH_UNTIL_OFFSET);
    // Written "at" the end of the rest, so no eager refresh point falls inside it either.
    restored.writeDoubleLE(retryAt, WRITTEN_AT_OFFSET);
    this.track(
      this.gateway
        .storeIfLeased(fullKey, marker, restored, Math.max(1, Math.ceil(graceLeftMs)))
        .catch((e: unknown) => this.telemetry.redisFailed(e, 'get', key, label)),
    );
  }

  /**
   * Encodes and stores a loaded value under our lease (in the background, never rejecting), or
   * gives the lease back when the value is not to be cached (tags unreadable, `ttl <= 0`, not
   * encodable).
   */
  private storeLoaded<T>(
    fullKey: string,
    key: string,
    value: T,
    codec: Codec,
    opts: GetOptions<T>,
    marker: string,
    tags: TagStamp[] | undefined,
    operation: CacheOperation,
    epochAtLoad: number,
  ): void {
    const wantsTags = opts.tags !== undefined && opts.tags.length > 0;
    const entry = wantsTags && tags === undefined ? undefined : this.entryFor(value, codec, opts, tags, key, operation);
    if (entry === undefined) {
      this.track(this.releaseLease(fullKey, marker));
      return;
    }
    this.track(
      this.gateway.storeIfLeased(fullKey, marker, entry.bytes, entry.px).then(
        (landed) => {
          if (!landed) return;
          this.telemetry.stored(key);
          if (this.l1 !== undefined) this.keepLocal(fullKey, value, codec, entry, entry.bytes.length, opts, epochAtLoad);
        },
        (error: unknown) => this.telemetry.redisFailed(error, operation, key, opts.label),
      ),
    );
  }

  private async callLoader<T>(key: string, loader: Loader<T>, label: string | undefined): Promise<T> {
    const started = Date.now();
    try {
      return await loader(key);
    } finally {
      this.telemetry.counters.load(label, Date.now() - started);
    }
  }

  /** Redis failed on the read: serve from the loader, still one load per key in this process. */
  private loadWithoutCache<T>(fullKey: string, key: string, loader: Loader<T>, label: string | undefined): Promise<T> {
    return this.flights.run(
      fullKey,
      () => this.callLoader(key, loader, label),
      () => this.telemetry.counters.coalesced++,
    ) as Promise<T>;
  }

  // ── background refresh ─────────────────────────────────────────────────────

  /**
   * Eager refresh and stale-while-revalidate: the caller was answered with the current value;
   * one load per key refreshes it, and the result replaces the entry only if nothing else
   * replaced it meanwhile (same entry id).
   */
  private refreshInBackground<T>(fullKey: string, key: string, loader: Loader<T>, codec: Codec, opts: GetOptions<T>, found: FoundEntry): void {
    const id = entryIdOf(found.raw);
    const refresh = this.refreshes.run(fullKey, async () => {
      const epoch = this.l1?.epoch ?? 0;
      try {
        const wantsTags = opts.tags !== undefined && opts.tags.length > 0;
        const tags = wantsTags ? await this.tagStamps(opts.tags!, 'refresh', key) : undefined;
        const value = await this.callLoader(key, loader, opts.label);
        if (wantsTags && tags === undefined) return;
        const entry = this.entryFor(value, codec, opts, tags, key, 'refresh');
        if (entry === undefined) return;
        if (await this.gateway.replaceIfUnchanged(fullKey, id, ENTRY_ID_RANGE.offset, entry.bytes, entry.px)) {
          this.telemetry.stored(key);
          if (this.bus !== undefined) {
            this.keepLocal(fullKey, value, codec, entry, entry.bytes.length, opts, epoch);
            await this.tellOthers(fullKey, 'refresh', key);
          }
        }
      } catch (error) {
        this.telemetry.report('REFRESH_FAILED', 'the background refresh failed; the current value keeps answering', 'refresh', key, error, opts.label);
      }
    });
    this.track(refresh);
  }

  // ── entries ────────────────────────────────────────────────────────────────

  /**
   * Decodes what a GET returned; an unusable or tag-invalidated entry is a (reported) miss.
   * Synchronous unless the entry carries tags (their versions are one more read), so a plain hit
   * costs no extra promise.
   */
  private readEntry(raw: Buffer, codec: Codec, key: string, operation: CacheOperation, label?: string): Lookup | Promise<Lookup> {
    let lookup: Lookup;
    try {
      lookup = decodeLookup(raw, codec, Date.now());
    } catch (error) {
      const reason = error instanceof EntryFormatError ? error.message : 'the serializer could not decode the stored bytes';
      this.telemetry.report('DECODE_FAILED', `${reason}; treated as a miss and replaced`, operation, key, error, label);
      return { state: 'unusable', raw };
    }
    const stamps = lookup.state === 'fresh' || lookup.state === 'stale' ? lookup.header.tags : undefined;
    if (stamps === undefined) return lookup;
    return this.tagsStillValid(stamps, key, operation, label).then((valid): Lookup => (valid ? lookup : { state: 'unusable', raw }));
  }

  /** The bytes and Redis expiry of a loaded value, or `undefined` when it is not to be stored. */
  private entryFor<T>(
    value: T,
    codec: Codec,
    opts: GetOptions<T>,
    tags: TagStamp[] | undefined,
    key: string,
    operation: CacheOperation,
  ): { bytes: Buffer; px: number; writtenAt: number; freshUntil: number; tags: TagStamp[] | undefined } | undefined {
    let ttl: number;
    try {
      ttl = ttlFor(opts.ttl, this.defaultTtl, value);
    } catch (error) {
      this.telemetry.report('ENCODE_FAILED', 'the ttl function threw; the value was not stored', operation, key, error, opts.label);
      return undefined;
    }
    if (!(ttl > 0)) return undefined;
    const now = Date.now();
    const expiry = expiryOf(ttl, Math.max(opts.grace ?? 0, opts.staleWhileRevalidate ?? 0), this.jitter, this.random, now);
    const bytes = this.encode(value, codec, now, expiry.freshUntil, tags, key, operation, opts.label);
    return bytes === undefined ? undefined : { bytes, px: expiry.px, writtenAt: now, freshUntil: expiry.freshUntil, tags };
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
      entry = encodeValue(value, codec, writtenAt, freshUntil, tags);
    } catch (error) {
      // A serializer's own size bound (RangeError) is the same situation as maxValueBytes.
      const tooLarge = error instanceof RangeError;
      this.telemetry.report(
        tooLarge ? 'VALUE_TOO_LARGE' : 'ENCODE_FAILED',
        tooLarge
          ? 'the value is over a configured limit (see cause); it was returned but not stored'
          : 'the value could not be encoded; it was returned but not stored',
        operation,
        key,
        error,
        label,
      );
      return undefined;
    }
    if (entry.length > this.maxValueBytes) {
      this.telemetry.report(
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

  private codecOf(serializer: Serializer): Codec {
    assertSerializer(serializer, 'serializer');
    return this.codecs.of(serializer);
  }

  // ── tags ───────────────────────────────────────────────────────────────────

  /** The current version token of each tag; undefined (reported) if Redis cannot say. */
  private async tagStamps(tags: readonly string[], operation: CacheOperation, key?: string): Promise<TagStamp[] | undefined> {
    try {
      return await this.tags.stampsFor(tags);
    } catch (error) {
      this.telemetry.redisFailed(error, operation, key);
      return undefined;
    }
  }

  private async tagsStillValid(stamps: readonly TagStamp[], key: string, operation: CacheOperation, label?: string): Promise<boolean> {
    if (this.invalidator.coversTags(stamps)) return false;
    try {
      return await this.tags.stillValid(stamps);
    } catch (error) {
      this.telemetry.redisFailed(error, operation, key, label);
      return false;
    }
  }

  // ── leases and background work ─────────────────────────────────────────────

  private async acquireLeases(keys: readonly string[], found: readonly Lookup[]): Promise<Array<string | undefined>> {
    return Promise.all(
      keys.map(async (key, i) => {
        const marker = newLeaseMarker();
        try {
          return (await this.takeLease(this.keyPrefix + key, found[i], marker)) ? marker : undefined;
        } catch (error) {
          this.telemetry.redisFailed(error, 'getMany', key);
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

  // ── the in-process tier ────────────────────────────────────────────────────

  /**
   * Keeps a value in process while the bus is live, until its freshness ends — or its eager
   * refresh point, so that the refresh still happens on the Redis path — unless an invalidation
   * arrived since the value was read (see `LocalTier.epoch`).
   */
  private keepLocal(
    fullKey: string,
    value: unknown,
    codec: Codec,
    header: Pick<EntryHeader, 'writtenAt' | 'freshUntil' | 'tags'>,
    bytes: number,
    opts: Pick<GetOptions, 'eagerRefresh'>,
    epochAtRead: number,
  ): void {
    if (this.l1 === undefined || !this.bus!.isLive || this.l1.epoch !== epochAtRead) return;
    const { writtenAt, freshUntil } = header;
    const until =
      opts.eagerRefresh !== undefined && Number.isFinite(freshUntil)
        ? writtenAt + (freshUntil - writtenAt) * opts.eagerRefresh
        : freshUntil;
    this.l1.set(fullKey, value, codec, until, bytes, header.tags?.map(({ tag }) => tag), Date.now());
  }

  /** Drops from this instance's tier what an invalidation (local or from another instance) names. */
  private dropLocal(item: PendingInvalidation): void {
    const l1 = this.l1;
    if (l1 === undefined) return;
    if (item.kind === 'keys') for (const key of item.keys) l1.invalidate(key);
    else if (item.kind === 'pattern') l1.deleteMatching(globToRegExp(item.match));
    else l1.deleteTagged(item.tags);
  }

  /**
   * A key was rewritten here: other instances drop their copy. If the message cannot be sent, an
   * invalidation of the key is queued: its replay removes the entry and tells them then, so no
   * copy elsewhere outlives the write.
   */
  private async tellOthers(fullKey: string, operation: CacheOperation, key: string): Promise<void> {
    try {
      await this.bus!.publish({ kind: 'keys', keys: [fullKey] });
    } catch (error) {
      this.telemetry.redisFailed(error, operation, key);
      this.invalidator.defer({ kind: 'keys', keys: [fullKey] }, operation, key);
    }
  }

  private track(task: Promise<unknown>): void {
    this.background.add(task);
    void task.finally(() => this.background.delete(task));
  }
}

/** True once a hit is past the eager refresh point (a fraction of its TTL). */
function pastRefreshPoint(found: FoundEntry, fraction: number): boolean {
  const { writtenAt, freshUntil } = found.header;
  return Number.isFinite(freshUntil) && Date.now() >= writtenAt + (freshUntil - writtenAt) * fraction;
}

/**
 * Join a load in this process only if our own read saw its lease at the key (or it holds none
 * yet): if the lease is gone, an invalidation came after that load began.
 */
function canJoin(flight: Flight, lookup: Lookup): boolean {
  return flight.lease === undefined || (lookup.state === 'leased' && lookup.marker === flight.lease);
}
