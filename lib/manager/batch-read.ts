import { fullKeyOf } from '../entry/key-layout';
import type { Codec } from '../entry/codec';
import { BatchSizeMismatchError } from '../errors/batch-size-mismatch.error';
import { CacheTypeError } from '../errors/cache-type-error';
import { assertFunction, assertKey, describe } from '../errors/invalid-argument';
import type { GetOptions } from './cache-aside.options';
import {
  cacheChannels,
  noteBatch,
  noteBatchStale,
  traceGetMany,
  traceLoad,
  type CacheGetManyContext,
} from './cache-channels';
import type { CacheCore } from './cache-core';
import type { RedisGateway } from '../redis/redis-gateway';
import { requestOf } from './cache-request';
import { ABSENT, type Lookup } from './lookup';
import type { BatchStore, MissPath } from './miss-path';
import { assertGetOptions } from './options-validation';
import { canJoin, type Flight } from './single-flight';
import { clockNow } from './flight-clock';
import { cycleClosedBy, cycleThroughJoin, insideLoad, noteJoin } from './load-context';
import { ReentrantLoadError } from '../errors/reentrant-load.error';

const NEVER_JOIN = (): boolean => false;

/** A batch loader: the missing keys in, one value per key out, in the same order. */
export type BatchLoader<T> = (missing: string[]) => Promise<readonly T[]> | readonly T[];

/** One `getMany` call: what was asked, and what is known so far, shared by its two halves. */
interface Batch<T> {
  readonly keys: readonly string[];
  readonly codec: Codec;
  readonly opts: GetOptions<T>;
  readonly loader: BatchLoader<T>;
  /** The in-process tier's epoch before the lookups (see `LocalCoherence.keep`). */
  readonly epoch: number;
  readonly lookups: Lookup[];
  readonly results: T[];
  /** Each missing key, with the positions in `keys` where it appears. */
  readonly missingIndexes: Map<string, number[]>;
  /** False when the lookups failed: no lease is taken, nothing is stored. */
  redisUp: boolean;
}

/**
 * `getMany`: the in-process tier first, then one round trip for the rest (one MGET per slot on a
 * Cluster), then one loader call with only the missing keys, deduplicated. Keys that another
 * call in this process is loading are joined; each key of the batch becomes a load others can
 * join; each value is stored under its own lease.
 */
export class BatchRead {
  /** Where the chunks go: the same client, with deadlines that fit a chunk, outside the breaker. */
  private readonly chunkGateway: RedisGateway;

  constructor(
    private readonly core: CacheCore,
    private readonly missPath: MissPath,
    /** Keys per round trip (`getManyChunkSize`). */
    private readonly chunkSize: number,
  ) {
    this.chunkGateway = core.gateway.forBatches(chunkSize);
  }

  /**
   * Checks the arguments, then reads, traced on `cache-aside:getMany` only while someone
   * subscribes (an empty `keys` answers `[]` untraced).
   */
  async read<T>(
    keys: readonly string[],
    loader: BatchLoader<T>,
    opts: GetOptions<T>,
  ): Promise<T[]> {
    this.check(keys, loader, opts);
    if (keys.length === 0) return [];
    if (cacheChannels.getMany.hasSubscribers) {
      return traceGetMany(this.core.telemetry.identity, keys, opts.label, (trace) =>
        this.lookUpAndLoad(keys, loader, opts, trace),
      );
    }
    return this.lookUpAndLoad(keys, loader, opts, undefined);
  }

  private check<T>(keys: readonly string[], loader: BatchLoader<T>, opts: GetOptions<T>): void {
    const asked: unknown = keys; // a JavaScript caller may pass anything
    if (!Array.isArray(asked)) {
      throw new CacheTypeError(
        'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
        `keys must be an array of strings, got ${describe(keys)}.`,
      );
    }
    keys.forEach((key, i) => {
      assertKey(key, `keys[${i}]`);
    });
    assertFunction(loader, 'loader');
    assertGetOptions(opts, 'getMany()');
  }

  /** `getMany` past its checks; `trace` is the call's context when `cache-aside:getMany` is traced. */
  private async lookUpAndLoad<T>(
    keys: readonly string[],
    loader: BatchLoader<T>,
    opts: GetOptions<T>,
    trace: CacheGetManyContext | undefined,
  ): Promise<T[]> {
    const { core } = this;
    const startedAt = clockNow(); // which loads in flight this batch may join (see canJoin)
    const codec = core.codecOf(opts.serializer);
    const label = opts.label;
    const fullKeys = keys.map((key) => fullKeyOf(core.keyPrefix, key));
    const epoch = core.local.epoch;
    const lookups = new Array<Lookup>(keys.length);
    const remote: number[] = [];
    fullKeys.forEach((fullKey, i) => {
      const local = core.local.lookup(fullKey, codec);
      if (local === undefined) remote.push(i);
      else {
        core.telemetry.counters.l1Hits++;
        lookups[i] = { state: 'local', value: local.value };
      }
    });
    // One chunk at a time: the first that fails is reported once, and the rest is not asked.
    let redisUp = true;
    let from = 0;
    for (; from < remote.length; from += this.chunkSize) {
      const chunk = remote.slice(from, from + this.chunkSize);
      if (!(await this.lookUpChunk(chunk, keys, fullKeys, lookups, codec, opts, epoch))) {
        redisUp = false;
        break;
      }
    }
    // The failed chunk and those after it were not read: misses.
    if (!redisUp) for (const i of remote.slice(from)) lookups[i] = ABSENT;

    const results = new Array<T>(keys.length);
    const missingIndexes = new Map<string, number[]>();
    let l1Hits = 0;
    let redisHits = 0;
    lookups.forEach((lookup, i) => {
      if (lookup.state === 'fresh' || lookup.state === 'local') {
        if (lookup.state === 'local') l1Hits++;
        else redisHits++;
        core.telemetry.hit(keys[i], label);
        results[i] = lookup.value as T;
        return;
      }
      core.telemetry.miss(keys[i], label);
      const indexes = missingIndexes.get(keys[i]);
      if (indexes) indexes.push(i);
      else missingIndexes.set(keys[i], [i]);
    });
    noteBatch(trace, l1Hits, redisHits, keys.length - l1Hits - redisHits, !redisUp);
    if (missingIndexes.size === 0) return results;

    // Keys another call in this process is already loading are joined, not loaded again.
    const joined: Array<Promise<void>> = [];
    const missing: string[] = [];
    // Inside a load of one of these keys (a loader reading its own key): joining would wait for
    // itself. Checked before anything is joined or begun.
    for (const [key, indexes] of missingIndexes) {
      const lookup = lookups[indexes[0]];
      const lease = lookup.state === 'leased' ? lookup.marker : undefined;
      const fullKey = fullKeyOf(core.keyPrefix, key);
      const inFlight = core.flights.peek(fullKey);
      const cycle =
        cycleClosedBy(core.flights, key, fullKey, lease) ??
        (inFlight === undefined ? undefined : cycleThroughJoin(inFlight, key));
      if (cycle !== undefined) throw new ReentrantLoadError(cycle, 'getMany');
    }
    for (const [key, indexes] of missingIndexes) {
      const lookup = lookups[indexes[0]];
      const fullKey = fullKeyOf(core.keyPrefix, key);
      const inFlight = core.flights.joinable(fullKey, (f) => canJoin(f, lookup, startedAt));
      if (inFlight === undefined) {
        missing.push(key);
        continue;
      }
      core.telemetry.counters.coalesced++;
      noteJoin(inFlight.flight, inFlight.promise);
      joined.push(
        inFlight.promise.then((value) => {
          for (const index of indexes) results[index] = value as T;
          if (inFlight.flight.servedStale === true) noteBatchStale(trace, indexes.length);
        }),
      );
    }
    if (missing.length > 0) {
      const batch = { keys, codec, opts, loader, epoch, lookups, results, missingIndexes, redisUp };
      await this.loadBatch(batch, missing);
    }
    await Promise.all(joined);
    return results;
  }

  /**
   * Looks one chunk of the remote keys up (one MGET, one per slot on a Cluster) and reads what
   * it found into `lookups`. False when Redis failed: reported once, for the whole chunk.
   */
  private async lookUpChunk<T>(
    chunk: readonly number[],
    keys: readonly string[],
    fullKeys: readonly string[],
    lookups: Lookup[],
    codec: Codec,
    opts: GetOptions<T>,
    epoch: number,
  ): Promise<boolean> {
    const { core } = this;
    const label = opts.label;
    let raws: Array<Buffer | null>;
    try {
      raws = await this.chunkGateway.mget(chunk.map((i) => fullKeys[i]));
    } catch (error) {
      core.telemetry.redisFailed(error, 'getMany', undefined, label);
      return false;
    }
    await Promise.all(
      raws.map(async (raw, r) => {
        const i = chunk[r];
        const found =
          raw === null || core.invalidator.covers(fullKeys[i])
            ? ABSENT
            : await core.reader.read(raw, codec, keys[i], 'getMany', label);
        lookups[i] = found;
        if (found.state === 'fresh')
          core.local.keep(
            fullKeys[i],
            found.value,
            codec,
            found.header,
            found.raw.length,
            epoch,
            opts.eagerRefresh,
          );
      }),
    );
    return true;
  }

  /**
   * Each key becomes a load in flight (so concurrent reads of it join), leases are taken, the
   * loader is called once with the keys, and each value is stored under its own lease. Keys
   * leased by another process are loaded here but not stored.
   */
  private async loadBatch<T>(batch: Batch<T>, missing: readonly string[]): Promise<void> {
    const { core } = this;
    const { missingIndexes, lookups, results, loader, codec, opts, redisUp, epoch } = batch;
    const label = opts.label;
    const settles: Array<{
      resolve: (value: T) => void;
      reject: (error: unknown) => void;
      flight: Flight;
    }> = [];
    const indexesOf = (key: string): number[] => missingIndexes.get(key) ?? [];
    for (const key of missing) {
      let settle!: (typeof settles)[number];
      // Always a new flight: one in flight for this key was refused above (its lease is gone).
      // The flight's promise is what joiners await; this batch settles it through `settle`.
      void core.flights.run(
        fullKeyOf(core.keyPrefix, key),
        (flight) => new Promise<T>((resolve, reject) => (settle = { resolve, reject, flight })),
        undefined,
        NEVER_JOIN,
      );
      settles.push(settle);
    }
    const fail = (error: unknown): never => {
      for (const { reject } of settles) reject(error);
      throw error;
    };

    // Past the leases' TTL a store is refused anyway (the lease is gone): stores stop there,
    // counted from before the takes, so a little early rather than a little late.
    const leasesEnd = performance.now() + core.leases.ttlMs;
    const markers = redisUp
      ? await this.takeLeases(
          missing,
          missing.map((key) => lookups[indexesOf(key)[0]]),
        )
      : missing.map(() => undefined);
    // After every take: a lease's age is at least the time since (see `MissPath.storeLoaded`).
    const leasesTaken = performance.now();
    markers.forEach((marker, i) => (settles[i].flight.lease = marker));
    const wanted = opts.tags !== undefined && opts.tags.length > 0 ? opts.tags : undefined;
    const tags =
      wanted !== undefined && markers.some((m) => m !== undefined)
        ? await core.reader.stamps(wanted, 'getMany')
        : undefined;

    const started = performance.now();
    let values: readonly T[];
    try {
      const fullKeys = missing.map((key) => fullKeyOf(core.keyPrefix, key));
      const flights = settles.map((settle) => settle.flight);
      values = await insideLoad(core.flights, missing, fullKeys, flights, async () =>
        cacheChannels.load.hasSubscribers
          ? traceLoad(core.telemetry.identity, missing, label, () => loader([...missing]))
          : loader([...missing]),
      );
    } catch (error) {
      core.telemetry.counters.load(label, performance.now() - started);
      core.leases.releaseMany(missing, markers, this.chunkGateway);
      return fail(error);
    }
    core.telemetry.counters.load(label, performance.now() - started);
    // Checked as `unknown`: `Array.isArray` would widen `values` to `any[]` for the code below.
    const returned: unknown = values;
    if (!Array.isArray(returned) || returned.length !== missing.length) {
      core.leases.releaseMany(missing, markers, this.chunkGateway);
      return fail(
        new BatchSizeMismatchError(
          missing.length,
          Array.isArray(returned) ? returned.length : undefined,
        ),
      );
    }
    missing.forEach((key, i) => {
      for (const index of indexesOf(key)) results[index] = values[i];
      settles[i].resolve(values[i]);
    });
    // Stored in the background, one chunk at a time (each store under its own lease).
    const store = (i: number, batch: BatchStore): Promise<void> => {
      const marker = markers[i];
      if (marker === undefined) return Promise.resolve();
      const key = missing[i];
      const request = requestOf(key, fullKeyOf(core.keyPrefix, key), codec, opts, 'getMany');
      return this.missPath.storeLoaded(request, values[i], marker, tags, epoch, leasesTaken, batch);
    };
    const leased = (i: number): boolean => markers[i] !== undefined;
    core.background.track(
      this.storeInChunks(missing.length, label, store, leasesEnd, leasesTaken, leased),
    );
  }

  /** Leases for the missing keys, one chunk at a time; none after a chunk that failed. */
  private async takeLeases(
    missing: readonly string[],
    found: readonly Lookup[],
  ): Promise<Array<string | undefined>> {
    const markers = new Array<string | undefined>(missing.length).fill(undefined);
    for (let from = 0; from < missing.length; from += this.chunkSize) {
      const to = Math.min(missing.length, from + this.chunkSize);
      const taken = await this.core.leases.takeMany(
        missing.slice(from, to),
        found.slice(from, to),
        this.chunkGateway,
      );
      taken.markers.forEach((marker, i) => (markers[from + i] = marker));
      if (taken.failed) break;
    }
    return markers;
  }

  /**
   * Stores in the background through the chunk gateway, one chunk at a time, until `until` (the
   * leases' end). A chunk that fails (a loaded server missing a chunk's deadline) does not stop
   * the next; the first failure is reported once for the whole batch, and so are values not
   * stored because their leases (taken by `leasesTaken`) ran out: see `leaseRanOut`.
   */
  private async storeInChunks(
    count: number,
    label: string | undefined,
    each: (i: number, batch: BatchStore) => Promise<void>,
    until: number,
    leasesTaken: number,
    leased: (i: number) => boolean,
  ): Promise<void> {
    const loadMs = performance.now() - leasesTaken; // the values are in
    let failure: { error: unknown } | undefined;
    let refusedAfterMs: number | undefined;
    const batch: BatchStore = {
      gateway: this.chunkGateway,
      failed: (error) => (failure ??= { error }),
      leaseExpired: (ms) => (refusedAfterMs ??= ms),
    };
    let from = 0;
    for (; from < count && performance.now() < until; from += this.chunkSize) {
      const work: Array<Promise<void>> = [];
      for (let i = from; i < Math.min(count, from + this.chunkSize); i++) work.push(each(i, batch));
      await Promise.all(work);
    }
    if (failure !== undefined)
      this.core.telemetry.redisFailed(failure.error, 'getMany', undefined, label);
    let unsent = 0;
    for (let i = from; i < count; i++) if (leased(i)) unsent++;
    this.leaseRanOut(label, refusedAfterMs, unsent, loadMs);
  }

  /**
   * Reports, once per batch, values whose leases ran out before they were stored: refused as
   * their store was sent past the lease's life (`refusedAfterMs`), or left unsent because the
   * leases' end came first (`unsent`, of keys we held a lease on). A load that outlived the
   * leases is the loader's time; otherwise the round trips of the takes and stores used it up.
   */
  private leaseRanOut(
    label: string | undefined,
    refusedAfterMs: number | undefined,
    unsent: number,
    loadMs: number,
  ): void {
    const { telemetry, leases } = this.core;
    if (refusedAfterMs !== undefined || (unsent > 0 && loadMs >= leases.ttlMs)) {
      telemetry.leaseExpired(refusedAfterMs ?? loadMs, leases.ttlMs, 'getMany', undefined, label);
    } else if (unsent > 0) {
      telemetry.report(
        'LEASE_EXPIRED',
        `the batch's leases (leaseTtlMs, ${leases.ttlMs} ms) ran out while they were taken and ` +
          `the values stored, ${this.chunkSize} keys per round trip: ${unsent} values were ` +
          'returned but not stored; raise leaseTtlMs (or getManyChunkSize)',
        'getMany',
        undefined,
        undefined,
        label,
      );
    }
  }
}
