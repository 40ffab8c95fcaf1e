import { CacheError } from '../errors/cache-error';
import { cacheChannels, traceLoad } from './cache-channels';
import type { CacheCore, Loader } from './cache-core';
import type { CacheRequest } from './cache-request';
import { restampedCopy, type TagStamp } from '../entry/entry-format';
import { newLeaseMarker, pollSchedule } from './load-lease';
import { ABSENT, LEASED, type FoundEntry, type Lookup } from './lookup';
import { canJoinUnread, type Flight } from './single-flight';
import { raceTimeout, TIMED_OUT } from './timeout-race';
import { cycleClosedBy, cycleThroughJoin, insideFlight, noteJoin } from './load-context';
import { ReentrantLoadError } from '../errors/reentrant-load.error';
import type { RedisGateway } from '../redis/redis-gateway';

/** How the stores of one chunk of a large `getMany` are sent and their failures reported. */
export interface BatchStore {
  readonly gateway: RedisGateway;
  readonly failed: (error: unknown) => void;
  /** A store refused, sent `ms` after its lease's take (past its life): reported once per batch. */
  readonly leaseExpired: (ms: number) => void;
}

/** How long a failing loader is left alone while a stale value answers inside its grace window. */
const GRACE_RETRY_MS = 1000;
/** Waiting past a lease's TTL by this much lets a waiter see a crashed holder's lease expire. */
const LEASE_EXPIRY_MARGIN_MS = 100;
/** Leases a caller waits through (each ends in a value, a release, or an expiry) before it loads alone. */
const MAX_LEASE_ROUNDS = 3;

/**
 * What happens on a miss: take the load lease (or wait for the process that holds it), call the
 * loader once, answer, and store the result only while the lease is still ours — so a value
 * loaded before an invalidation never lands after it. Grace, soft and hard timeouts decide what
 * a caller gets when the loader fails or is slow.
 */
export class MissPath {
  constructor(private readonly core: CacheCore) {}

  /**
   * Takes the load lease (or waits for the process that has it), then loads and stores. A lease
   * that vanishes while we wait (released, expired after its holder crashed, invalidated) is
   * taken again, and the new holder gets a full lease period, so a crash still costs one load.
   * `heldLease`: the lease the read already took (see `leasing-reads.ts`).
   */
  async load<T>(
    request: CacheRequest<T>,
    loader: Loader<T>,
    found: Lookup,
    flight: Flight,
    heldLease?: string,
  ): Promise<T> {
    const { fullKey } = request;
    const stale = found.state === 'stale' ? found : undefined;
    let current = found;
    if (heldLease !== undefined) {
      flight.lease = heldLease;
      return this.loadAndStore(request, loader, heldLease, stale, flight);
    }
    for (let round = 1; ; round++) {
      const marker = newLeaseMarker();
      let leased: boolean;
      try {
        leased = await this.core.leases.take(fullKey, current, marker);
      } catch (error) {
        this.core.telemetry.redisFailed(error, 'get', request.key, request.label);
        return this.callLoader(request, loader);
      }
      if (leased) {
        flight.lease = marker;
        return this.loadAndStore(request, loader, marker, stale, flight);
      }

      // Another process holds the lease or wrote meanwhile: wait for its value, a little past
      // the lease's own expiry so that a crashed holder's lease is seen to go.
      const deadline = Date.now() + this.core.leases.ttlMs + LEASE_EXPIRY_MARGIN_MS;
      const refused =
        current.state === 'stale' || current.state === 'unusable' ? current.raw : undefined;
      const waited = await this.awaitOtherLoad(request, deadline, refused);
      current = waited.lookup;
      if (current.state === 'fresh') return current.value as T;
      // Still leased, but by another holder than at first (the first one's lease expired and a
      // new one took over): that holder deserves a full lease period too.
      const newHolder = current.state === 'leased' && waited.holderChanged;
      if ((current.state === 'leased' && !newHolder) || round >= MAX_LEASE_ROUNDS) {
        // The other load outlived its lease: load without storing rather than wait longer.
        return this.callLoader(request, loader);
      }
    }
  }

  /**
   * Redis failed on the read: serve from the loader, still one load per key in this process —
   * joining only a load that began after every write this process noted before the read started.
   */
  withoutCache<T>(request: CacheRequest<T>, loader: Loader<T>, writesAtStart: number): Promise<T> {
    const { flights } = this.core;
    const { key, fullKey } = request;
    const inFlight = flights.peek(fullKey);
    const cycle =
      cycleClosedBy(flights, key, fullKey) ??
      (inFlight === undefined ? undefined : cycleThroughJoin(inFlight, key));
    if (cycle !== undefined)
      return Promise.reject(new ReentrantLoadError(cycle, request.operation));
    return flights.run(
      fullKey,
      (flight) =>
        insideFlight(flights, key, fullKey, flight, () => this.callLoader(request, loader)),
      (joined, promise) => {
        this.core.telemetry.counters.coalesced++;
        noteJoin(joined, promise);
      },
      (flight) => canJoinUnread(flight, writesAtStart),
    ) as Promise<T>;
  }

  /**
   * Calls the loader, timed for `stats()` and traced on `cache-aside:load` when subscribed. Not
   * an `async` function: a pending miss would keep its frame and one more promise (issue #12
   * finding 5).
   */
  callLoader<T>(request: CacheRequest<T>, loader: Loader<T>): Promise<T> {
    const started = performance.now();
    return this.startLoader(request, loader).then(
      (value) => {
        this.loadTimed(request.label, started);
        return value;
      },
      (error: unknown) => {
        this.loadTimed(request.label, started);
        throw error;
      },
    );
  }

  /** The loader's promise (traced when subscribed); a loader that throws at once rejects it. */
  private startLoader<T>(request: CacheRequest<T>, loader: Loader<T>): Promise<T> {
    try {
      return Promise.resolve(
        cacheChannels.load.hasSubscribers
          ? traceLoad(this.core.telemetry.identity, request.key, request.label, () =>
              loader(request.key),
            )
          : loader(request.key),
      );
    } catch (error) {
      // As from an `async` function: the caller's rejection handler sees the loader's own error.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the loader's own error, as thrown
      return Promise.reject(error);
    }
  }

  /** Counts a settled load for `stats()`; `started` is `performance.now()` when it began. */
  private loadTimed(label: string | undefined, started: number): void {
    this.core.telemetry.counters.load(label, performance.now() - started);
  }

  /**
   * Encodes and stores a loaded value under our lease (in the background, never rejecting), or
   * gives the lease back when the value is not to be cached (tags unreadable, `ttl <= 0`, not
   * encodable). `epochAtLoad` was taken before the load began (see `LocalCoherence.keep`).
   * `leaseAgeFrom` (`performance.now()`, no earlier than the lease's take) measures, as the store
   * is sent, whether the lease had already run out: a refusal then is reported (`LEASE_EXPIRED`).
   * `batch`: a chunk of a large `getMany` stores through the batch gateway and reports a failure
   * through its own `failed` (once per chunk). Resolves when the store is done (never rejects).
   */
  storeLoaded<T>(
    request: CacheRequest<T>,
    value: T,
    marker: string,
    tags: TagStamp[] | undefined,
    epochAtLoad: number,
    leaseAgeFrom: number,
    batch?: BatchStore,
  ): Promise<void> {
    const { core } = this;
    // Measured now, as the store is sent: a reply read late (a busy process) must not turn a
    // refusal by an invalidation during the load into one blamed on the lease's life.
    const leaseAgeMs = performance.now() - leaseAgeFrom;
    const { fullKey, key, opts } = request;
    const wantsTags = opts.tags !== undefined && opts.tags.length > 0;
    const entry =
      wantsTags && tags === undefined ? undefined : core.writer.prepare(value, request, tags);
    if (entry === undefined) {
      core.leases.release(fullKey, marker);
      return Promise.resolve();
    }
    const gateway = batch?.gateway ?? core.gateway;
    const task = gateway.storeIfLeased(fullKey, marker, entry.bytes, entry.px).then(
      (landed) => {
        if (!landed) {
          this.refusedAfterLoad(request, leaseAgeMs, batch);
          return;
        }
        core.telemetry.stored(key);
        core.local.keep(
          fullKey,
          value,
          request.codec,
          entry,
          entry.bytes.length,
          epochAtLoad,
          opts.eagerRefresh,
        );
      },
      (error: unknown) => {
        if (batch) batch.failed(error);
        else core.telemetry.redisFailed(error, request.operation, key, request.label);
        // Not stored (refused past its deadline, or its answer lost): the lease would keep
        // other processes waiting until it expires. Given back behind the store, it goes as
        // soon as the connection carries it; after a store that did land it changes nothing.
        core.leases.release(fullKey, marker, gateway);
      },
    );
    core.background.track(task);
    return task;
  }

  /**
   * A store our lease no longer guarded. When the lease was still young as the store was sent,
   * an invalidation or a newer write came during the load: the guarantee at work, and silent.
   * When it had outlived its life (`leaseTtlMs`) before the store was even sent, the setting is
   * to fix (the method would never be cached), so it is reported.
   */
  private refusedAfterLoad<T>(
    request: CacheRequest<T>,
    loadMs: number,
    batch: BatchStore | undefined,
  ): void {
    if (loadMs < this.core.leases.ttlMs) return;
    if (batch) batch.leaseExpired(loadMs);
    else {
      const { operation, key, label } = request;
      this.core.telemetry.leaseExpired(loadMs, this.core.leases.ttlMs, operation, key, label);
    }
  }

  /**
   * Polls until the key holds a usable entry, vanishes, or the deadline passes; says whether
   * the lease holder changed on the way (a new lease, not the one we started waiting for).
   */
  private async awaitOtherLoad<T>(
    request: CacheRequest<T>,
    deadline: number,
    refused: Buffer | undefined,
  ): Promise<{ lookup: Lookup; holderChanged: boolean }> {
    const { fullKey, key, label } = request;
    let firstHolder: string | undefined;
    let lastHolder: string | undefined;
    const result = (lookup: Lookup): { lookup: Lookup; holderChanged: boolean } => ({
      lookup,
      holderChanged: firstHolder !== lastHolder,
    });
    // Each turn of the schedule is one poll (it yields nothing and holds no resource to close).
    const polls = pollSchedule(deadline);
    while (!(await polls.next()).done) {
      let raw: Buffer | null;
      try {
        raw = await this.core.gateway.get(fullKey);
      } catch (error) {
        this.core.telemetry.redisFailed(error, 'get', key, label);
        return result(LEASED);
      }
      if (raw === null) return result(ABSENT);
      // The entry we could not take over is still there unchanged: nobody is loading it, and
      // waiting will not change that. Load without storing instead of spinning.
      if (refused !== undefined && raw.equals(refused)) return result(LEASED);
      const lookup = await this.core.reader.read(raw, request.codec, key, 'get', label);
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
   *
   * The common case (no tags, no old value, no hard timeout) is one reaction on the loader's
   * promise: a pending miss holds no frame of this function (issue #12 finding 5).
   */
  private loadAndStore<T>(
    request: CacheRequest<T>,
    loader: Loader<T>,
    marker: string,
    stale: FoundEntry | undefined,
    flight: Flight,
  ): Promise<T> {
    const { opts } = request;
    const wantsTags = opts.tags !== undefined && opts.tags.length > 0;
    if (wantsTags || stale !== undefined || opts.hardTimeoutMs !== undefined)
      return this.loadAndStoreGuarded(request, loader, marker, stale, flight);
    // Taken before the load: any invalidation this process hears of during it keeps the result
    // out of the in-process tier (the Redis side is guarded by the lease).
    const epoch = this.core.local.epoch;
    // Timing and storing in the same handlers: one reaction on the loader's promise. The lease
    // was taken before this point, so its age is at least the time since.
    const started = performance.now();
    return this.startLoader(request, loader).then(
      (value) => {
        this.loadTimed(request.label, started);
        void this.storeLoaded(request, value, marker, undefined, epoch, started);
        return value;
      },
      (error: unknown) => {
        this.loadTimed(request.label, started);
        this.core.leases.release(request.fullKey, marker);
        throw error;
      },
    );
  }

  /** `loadAndStore` with tag stamps to read first, an old value to fall back on, or a timeout. */
  private async loadAndStoreGuarded<T>(
    request: CacheRequest<T>,
    loader: Loader<T>,
    marker: string,
    stale: FoundEntry | undefined,
    flight: Flight,
  ): Promise<T> {
    const { core } = this;
    const { fullKey, key, opts } = request;
    // Taken before the load: any invalidation this process hears of during it keeps the result
    // out of the in-process tier (the Redis side is guarded by the lease and the tag stamps).
    const epoch = core.local.epoch;
    const wanted = opts.tags !== undefined && opts.tags.length > 0 ? opts.tags : undefined;
    const wantsTags = wanted !== undefined;
    // After the lease's take, before the tag read: what the lease's age is measured from.
    const leaseAgeFrom = performance.now();
    // Tag tokens are read before the loader runs: an invalidation during the load then shows.
    const tags = wantsTags ? await core.reader.stamps(wanted, 'get', key) : undefined;
    const graceEnds = stale ? stale.header.freshUntil + (opts.grace ?? 0) * 1000 : 0;
    const outcome = this.callLoader(request, loader).then(
      (value) => {
        void this.storeLoaded(request, value, marker, tags, epoch, leaseAgeFrom);
        return { value };
      },
      (error: unknown) => {
        if (stale && graceEnds > Date.now())
          this.restoreStale(request, stale, marker, graceEnds, error);
        else core.leases.release(fullKey, marker);
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
      core.telemetry.staleServed(key, opts.label);
      // Read by each traced caller of this load once it settles (see `ReadPath`, `BatchRead`).
      flight.servedStale = true;
      return stale.value as T;
    }
    if (result === TIMED_OUT) {
      throw new CacheError(
        'LOADER_TIMEOUT',
        `the loader did not answer within hardTimeoutMs (${opts.hardTimeoutMs} ms); it goes on in the background`,
        { operation: 'get', key },
      );
    }
    throw result.error;
  }

  /**
   * The loader failed inside the grace window: put the old entry back, looking fresh for a short
   * while, so that the failing loader is not hammered by every caller; after that the next read
   * tries the loader again.
   */
  private restoreStale<T>(
    request: CacheRequest<T>,
    stale: FoundEntry,
    marker: string,
    graceEnds: number,
    error: unknown,
  ): void {
    const { core } = this;
    const { fullKey, key, label } = request;
    core.telemetry.report(
      'REFRESH_FAILED',
      'the loader failed; serving the previous value inside its grace window',
      'get',
      key,
      error,
      label,
    );
    const graceLeftMs = graceEnds - Date.now();
    const retryAt = Date.now() + Math.min(GRACE_RETRY_MS, graceLeftMs);
    // Written "at" the end of the rest, so no eager refresh point falls inside it either.
    const restored = restampedCopy(stale.raw, retryAt);
    core.background.track(
      core.gateway
        .storeIfLeased(fullKey, marker, restored, Math.max(1, Math.ceil(graceLeftMs)))
        .catch((e: unknown) => {
          core.telemetry.redisFailed(e, 'get', key, label);
        }),
    );
  }
}
