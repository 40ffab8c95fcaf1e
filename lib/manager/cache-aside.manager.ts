import { fullKeyOf, fullPatternsOf } from '../entry/key-layout';
import { CodecRegistry } from '../entry/codec';
import { assertGlobLength } from '../entry/glob';
import { CacheTypeError } from '../errors/cache-type-error';
import { assertKey, assertTags, describe } from '../errors/invalid-argument';
import { LocalCoherence } from '../l1/local-coherence';
import { NO_PROCESS_TIER, type ProcessTier } from '../l1/process-tier';
import { CircuitBreaker } from '../redis/circuit-breaker';
import type { RedisClient } from '../redis/redis-client';
import { RedisGateway } from '../redis/redis-gateway';
import { assertSerializer } from '../serializers/serializer';
import { BackgroundRefresh } from './background-refresh';
import { BackgroundTasks } from './background-tasks';
import { BatchRead, type BatchLoader } from './batch-read';
import type {
  CacheAsideOptions,
  GetOptions,
  InvalidateOptions,
  SetOptions,
} from './cache-aside.options';
import {
  cacheChannels,
  registerManager,
  traceInvalidate,
  type InvalidationTarget,
  type ManagerRegistration,
} from './cache-channels';
import type { CacheCore, Loader } from './cache-core';
import type { CacheEventName, CacheEvents } from './cache-events';
import { EntryReader } from './entry-reader';
import { EntryWriter } from './entry-writer';
import { Invalidator } from './invalidator';
import { Leases } from './leases';
import { LeasingReads } from './leasing-reads';
import { MissPath } from './miss-path';
import { assertInvalidateOptions, resolveOptions } from './options-validation';
import { NO_OPTIONS, ReadPath } from './read-path';
import { SingleFlight } from './single-flight';
import type { CacheStats } from './stats';
import { TagVersions } from './tag-versions';
import { Telemetry } from './telemetry';
import { TtlOperations } from './ttl-operations';
import { WritePath } from './write-path';
import { noteWrite } from './flight-clock';

/** Said once per manager when Redis refuses scripts to its user (see docs/security.md). */
const SCRIPTING_UNAVAILABLE =
  'Redis refuses scripts to this user (an ACL with -@scripting, or EVAL disabled): entries are ' +
  'stored without the atomic lease check from now on (see docs/security.md, "Without scripting")';

/** Shared by invalidations without options, so a plain `invalidate(key)` allocates none. */
const NO_INVALIDATE_OPTIONS: InvalidateOptions = Object.freeze({});

/** Checks an invalidation's options unless they are the shared empty ones. */
function checkInvalidateOptions(opts: InvalidateOptions, where: string): void {
  if (opts !== NO_INVALIDATE_OPTIONS) assertInvalidateOptions(opts, where);
}

/**
 * The cache-aside policy: look the key up; on a miss load it once (in this process and across
 * processes), store it, return it; evict on invalidation. Redis trouble never reaches the
 * caller: reads fall back to the loader, invalidations are queued and replayed.
 *
 * This class is construction and the public verbs; the parts it delegates to are built once
 * here and share one `CacheCore`: reads (`read-path.ts`, `miss-path.ts`, `batch-read.ts`,
 * `background-refresh.ts`), writes (`write-path.ts`), TTLs (`ttl-operations.ts`),
 * invalidations (`invalidator.ts`) and the in-process tier (`lib/l1`).
 */
export class CacheAsideManager {
  /** Prepended to every key in Redis (resolved from the options). */
  readonly keyPrefix: string;
  /** Seconds an entry lives when a call gives no `ttl`. */
  readonly defaultTtl: number;

  private readonly gateway: RedisGateway;
  private readonly telemetry: Telemetry;
  /** Held for the manager's life: the registry of live managers keeps it only weakly. */
  private readonly registration: ManagerRegistration;
  private readonly background = new BackgroundTasks();
  private readonly flights = new SingleFlight();
  private readonly invalidator: Invalidator;
  private readonly l1: ProcessTier;
  private readonly reads: ReadPath;
  private readonly batchRead: BatchRead;
  private readonly writes: WritePath;
  private readonly ttl: TtlOperations;

  constructor(options: CacheAsideOptions) {
    const resolved = resolveOptions(options);
    const keyPrefix = resolved.keyPrefix;
    this.keyPrefix = keyPrefix;
    this.defaultTtl = resolved.defaultTtl;
    // First, so that everything built below reports under this manager's identity; the probes
    // read the gateway and the L1 tier only at collection time, once they exist.
    this.registration = registerManager({
      keyPrefix,
      circuitOpen: () => this.gateway.circuit !== 'closed',
      l1Entries: () => this.l1.size,
    });
    this.telemetry = new Telemetry(this.registration.identity);
    const gateway = new RedisGateway(resolved.redis, {
      operationTimeout: resolved.operationTimeoutMs,
      scanCount: resolved.scanCount,
      coalesceWrites: resolved.coalesceWrites,
      breaker: new CircuitBreaker(resolved.circuitBreaker),
      onScriptingRefused: (error) => {
        this.telemetry.report(
          'SCRIPTING_UNAVAILABLE',
          SCRIPTING_UNAVAILABLE,
          'get',
          undefined,
          error,
        );
      },
    });
    this.gateway = gateway;
    const tags = new TagVersions(gateway, keyPrefix);
    this.l1 =
      resolved.l1 === undefined
        ? NO_PROCESS_TIER
        : new LocalCoherence(resolved.l1, gateway, keyPrefix, (error, item, op, key) => {
            this.telemetry.redisFailed(error, op, key);
            this.invalidator.defer(item, op, key);
          });
    this.invalidator = new Invalidator(gateway, tags, this.telemetry, {
      keyPrefix,
      queueSize: resolved.invalidationQueueSize,
      retryMs: resolved.invalidationRetryMs,
      closeTimeoutMs: resolved.closeTimeoutMs,
      publish: this.l1.publish,
    });
    this.invalidator.onInvalidation((item) => {
      this.l1.drop(item);
    });
    const settings = {
      defaultTtl: resolved.defaultTtl,
      nullTtl: resolved.nullTtl,
      jitter: resolved.ttlJitter,
      random: resolved.random,
    };
    const codecs = new CodecRegistry();
    const defaultCodec = codecs.of(resolved.serializer);
    const leases = new Leases(
      gateway,
      this.telemetry,
      this.background,
      keyPrefix,
      resolved.leaseTtlMs,
    );
    const core: CacheCore = {
      keyPrefix,
      gateway,
      telemetry: this.telemetry,
      background: this.background,
      writer: new EntryWriter(this.telemetry, {
        ...settings,
        maxValueBytes: resolved.maxValueBytes,
      }),
      reader: new EntryReader(this.telemetry, tags, this.invalidator),
      leases,
      leasingReads: new LeasingReads(
        resolved.leaseOnRead,
        gateway,
        leases,
        gateway.forBatches(resolved.getManyChunkSize),
      ),
      invalidator: this.invalidator,
      flights: this.flights,
      local: this.l1,
      codecOf: (serializer) => {
        if (serializer === undefined) return defaultCodec;
        assertSerializer(serializer, 'serializer');
        return codecs.of(serializer);
      },
    };
    const missPath = new MissPath(core);
    this.reads = new ReadPath(core, missPath, new BackgroundRefresh(core, missPath));
    this.batchRead = new BatchRead(core, missPath, resolved.getManyChunkSize);
    // A write that falls back to removing its key is a `set`, not also a traced invalidation.
    this.writes = new WritePath(core, settings, (key) => this.removeKeys([key]));
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
  get<T>(
    key: string,
    loader: Loader<T>,
    opts: GetOptions<T> = NO_OPTIONS as GetOptions<T>,
  ): Promise<T> {
    return this.reads.get(key, loader, opts);
  }

  /**
   * Values of many keys in the order given: one round trip for the lookups, one loader call with
   * only the missing keys (deduplicated), whose results come back in the same order.
   */
  getMany<T>(
    keys: readonly string[],
    loader: BatchLoader<T>,
    opts: GetOptions<T> = NO_OPTIONS as GetOptions<T>,
  ): Promise<T[]> {
    return this.batchRead.read(keys, loader, opts);
  }

  // ── writes ─────────────────────────────────────────────────────────────────

  /**
   * Writes a value through the same encoding as `get`. It counts as an invalidation for loads in
   * flight: their older results will not overwrite it.
   */
  set(key: string, value: unknown, opts: SetOptions = {}): Promise<void> {
    return noteWriteAround(this.writes.set(key, value, opts));
  }

  // ── invalidation ───────────────────────────────────────────────────────────

  /**
   * Removes entries; resolves with how many existed. Never throws for Redis trouble. `label`
   * names the caller on the `cache-aside:invalidate` channel (as for the other invalidations).
   */
  async invalidate(
    keyOrKeys: string | readonly string[],
    opts: InvalidateOptions = NO_INVALIDATE_OPTIONS,
  ): Promise<number> {
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
    checkInvalidateOptions(opts, 'invalidate()');
    if (keys.length === 0) return 0;
    if (cacheChannels.invalidate.hasSubscribers) {
      const target: InvalidationTarget = { kind: 'key', keys };
      return traceInvalidate(this.registration.identity, target, opts.label, () =>
        this.removeKeys(keys),
      );
    }
    return this.removeKeys(keys);
  }

  /** `invalidate` past its checks, untraced (also what a failed `set` falls back to). */
  private removeKeys(keys: readonly string[]): Promise<number> {
    const fullKeys = keys.map((key) => fullKeyOf(this.keyPrefix, key));
    for (const fullKey of fullKeys) this.flights.forget(fullKey);
    return noteWriteAround(
      this.invalidator.run(
        { kind: 'keys', keys: fullKeys },
        'invalidate',
        keys.length === 1 ? keys[0] : undefined,
      ),
    );
  }

  /**
   * Removes every entry whose key (after the prefix) matches a Redis glob, e.g. `'user:*'`.
   * SCAN + UNLINK in batches on every master; never KEYS.
   */
  async invalidatePattern(
    glob: string,
    opts: InvalidateOptions = NO_INVALIDATE_OPTIONS,
  ): Promise<number> {
    assertKey(glob, 'pattern');
    assertGlobLength(glob);
    checkInvalidateOptions(opts, 'invalidatePattern()');
    const run = async (): Promise<number> => {
      this.flights.forgetAll();
      // One invalidation of one or more globs: escaped entry keys (`~~…`) and keys holding lone
      // surrogates are stored apart (key-layout.ts).
      const [match, ...alsoMatch] = fullPatternsOf(this.keyPrefix, glob);
      const item = alsoMatch.length === 0 ? { match } : { match, alsoMatch };
      return noteWriteAround(
        this.invalidator.run({ kind: 'pattern', ...item }, 'invalidatePattern', glob),
      );
    };
    if (!cacheChannels.invalidate.hasSubscribers) return run();
    return traceInvalidate(
      this.registration.identity,
      { kind: 'pattern', pattern: glob },
      opts.label,
      run,
    );
  }

  /**
   * Every entry stored with any of these tags stops being served (see `tag-versions.ts` for the
   * cost). Resolves with the number of tags invalidated.
   */
  async invalidateTags(
    tags: readonly string[],
    opts: InvalidateOptions = NO_INVALIDATE_OPTIONS,
  ): Promise<number> {
    assertTags(tags);
    checkInvalidateOptions(opts, 'invalidateTags()');
    if (tags.length === 0) return 0;
    const copy = [...tags];
    const run = (): Promise<number> => {
      this.flights.forgetAll();
      return noteWriteAround(this.invalidator.run({ kind: 'tags', tags: copy }, 'invalidateTags'));
    };
    if (!cacheChannels.invalidate.hasSubscribers) return run();
    return traceInvalidate(
      this.registration.identity,
      { kind: 'tags', tags: copy },
      opts.label,
      run,
    );
  }

  // ── TTL ────────────────────────────────────────────────────────────────────

  /**
   * Seconds left of the entry's TTL (rounded up, so a live entry never reports 0), `-1` for no
   * expiry, `-2` when there is no entry. A grace window after the TTL is not counted.
   */
  getTtl(key: string): Promise<number> {
    return this.ttl.getTtl(key);
  }

  /**
   * Sets a new TTL (seconds, or `Infinity`), replacing any grace window; `false` where no entry
   * exists (a key being loaded has no entry yet).
   */
  setTtl(key: string, seconds: number): Promise<boolean> {
    return this.ttl.setTtl(key, seconds);
  }

  // ── statistics, events, lifecycle ──────────────────────────────────────────

  /** Counters since construction (or `resetStats()`), with the circuit, queue and L1 state now. */
  stats(): CacheStats {
    return this.telemetry.counters.snapshot(
      this.invalidator.pending,
      this.gateway.circuit,
      this.l1.size,
      this.l1.bytes,
    );
  }

  /** Zeroes the counters of `stats()` (the state it reports is not a counter and stays). */
  resetStats(): void {
    this.telemetry.counters.reset();
  }

  /** Listens to an event (see `CacheEvents`); payloads never carry values. */
  on<E extends CacheEventName>(event: E, listener: (payload: CacheEvents[E]) => void): this {
    this.telemetry.events.on(event, listener);
    return this;
  }

  /** Stops a listener added with `on` or `once`. */
  off<E extends CacheEventName>(event: E, listener: (payload: CacheEvents[E]) => void): this {
    this.telemetry.events.off(event, listener);
    return this;
  }

  /** Listens to the next occurrence of an event only. */
  once<E extends CacheEventName>(event: E, listener: (payload: CacheEvents[E]) => void): this {
    this.telemetry.events.once(event, listener);
    return this;
  }

  /** Resolves when the writes this manager sent in the background (stores, refreshes) are done. */
  async settle(): Promise<void> {
    await this.background.settle();
  }

  /**
   * Waits for background writes, tries the invalidations still queued for at most
   * `closeTimeoutMs` (reporting those it could not deliver: event `'undelivered'`), then detaches
   * from the client. A client passed in is never closed: it is the caller's.
   */
  async close(): Promise<void> {
    this.registration.unregister();
    await this.settle();
    await this.invalidator.drain();
    await this.l1.close();
    this.gateway.detach();
  }
}

/**
 * Notes a write in the process's order as it is issued (the synchronous part of `write` has just
 * run; nothing else has) and again when it settles, so that no read starting after it was
 * acknowledged joins a load begun before it (see `flight-clock.ts`).
 */
function noteWriteAround<R>(write: Promise<R>): Promise<R> {
  noteWrite();
  return write.finally(noteWrite);
}
