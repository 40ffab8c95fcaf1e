import { fullKeyOf } from '../entry/key-layout';
import { assertFunction, assertKey } from '../errors/invalid-argument';
import type { BackgroundRefresh } from './background-refresh';
import type { GetOptions } from './cache-aside.options';
import { cacheChannels, noteLookup, traceGet, type CacheGetContext } from './cache-channels';
import type { CacheCore, Loader } from './cache-core';
import { requestOf } from './cache-request';
import { ABSENT, type FoundEntry, type Lookup } from './lookup';
import type { MissPath } from './miss-path';
import { assertGetOptions } from './options-validation';
import { canJoin, type Flight } from './single-flight';
import { clockNow, lastWriteTicket } from './flight-clock';
import { cycleClosedBy, cycleThroughJoin, insideFlight, noteJoin } from './load-context';
import { ReentrantLoadError } from '../errors/reentrant-load.error';
import { newLeaseMarker } from './load-lease';
import { LEASE_TAKEN } from './leasing-reads';

/** Shared by calls without options, so a plain `get(key, loader)` allocates none. */
export const NO_OPTIONS: GetOptions<never> = Object.freeze({});

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
 * `get`: the in-process tier, then one GET; a fresh hit answers at once (and may start an eager
 * refresh), a stale one inside its stale-while-revalidate window answers and refreshes, anything
 * else goes down the miss path as one load per key. The hit path builds no request object: the
 * `CacheRequest` is made only once the call leaves it.
 */
export class ReadPath {
  constructor(
    private readonly core: CacheCore,
    private readonly missPath: MissPath,
    private readonly refresher: BackgroundRefresh,
  ) {}

  /**
   * Checks the arguments, then reads, traced on `cache-aside:get` only while someone subscribes.
   * A plain function returning `read`'s promise: an `async` one here would add a promise layer
   * to every hit. A bad argument rejects, as it would from an `async` function.
   */
  get<T>(key: string, loader: Loader<T>, opts: GetOptions<T>): Promise<T> {
    try {
      assertKey(key);
      assertFunction(loader, 'loader');
      if (opts !== NO_OPTIONS && !checkedOptions.has(opts)) checkOptions(opts);
    } catch (error) {
      return rejected(error);
    }
    if (cacheChannels.get.hasSubscribers) {
      return traceGet(this.core.telemetry.identity, key, opts.label, (trace) =>
        this.read(key, loader, opts, trace),
      );
    }
    return this.read(key, loader, opts, undefined);
  }

  /** `get` past its checks; `trace` is the call's context when `cache-aside:get` is traced. */
  private async read<T>(
    key: string,
    loader: Loader<T>,
    opts: GetOptions<T>,
    trace: CacheGetContext | undefined,
  ): Promise<T> {
    const { core } = this;
    // Where this read starts among loads and writes: which loads in flight it may join.
    const startedAt = clockNow();
    const writesAtStart = lastWriteTicket();
    const fullKey = fullKeyOf(core.keyPrefix, key);
    const codec = core.codecOf(opts.serializer);
    const label = opts.label;

    if (core.invalidator.covers(fullKey)) {
      // An invalidation of this key has not reached Redis yet: the entry there may be the stale
      // one it was meant to remove. Serve from the loader, store nothing, and try the replay.
      void core.invalidator.replay();
      core.telemetry.miss(key, label);
      noteLookup(trace, 'bypass');
      return this.missPath.withoutCache(
        requestOf(key, fullKey, codec, opts, 'get'),
        loader,
        writesAtStart,
      );
    }
    const local = core.local.lookup(fullKey, codec);
    if (local !== undefined) {
      core.telemetry.counters.l1Hits++;
      core.telemetry.hit(key, label);
      noteLookup(trace, 'hit', 'l1');
      return local.value as T;
    }
    let lookup: Lookup = ABSENT;
    const epoch = core.local.epoch;
    // A read that takes the lease of an absent key (see `leasing-reads.ts`), unless this process
    // is loading the key already: the call would join that load and give the lease back.
    const leasing = core.leasingReads;
    const marker =
      leasing.wanted && core.flights.peek(fullKey) === undefined ? newLeaseMarker() : undefined;
    // Our lease at the key, taken by the read: the load runs under it, or it is given back.
    let heldLease: string | undefined;
    try {
      const reply =
        marker === undefined
          ? await core.gateway.get(fullKey)
          : await leasing.read(fullKey, marker);
      if (reply === LEASE_TAKEN) heldLease = marker;
      else if (reply !== null) {
        const read = core.reader.read(reply, codec, key, 'get', label);
        lookup = read instanceof Promise ? await read : read;
      }
      leasing.noteRead(reply === null || reply === LEASE_TAKEN);
    } catch (error) {
      core.telemetry.redisFailed(error, 'get', key, label);
      core.telemetry.miss(key, label);
      noteLookup(trace, 'bypass');
      return this.missPath.withoutCache(
        requestOf(key, fullKey, codec, opts, 'get'),
        loader,
        writesAtStart,
      );
    }

    if (lookup.state === 'fresh') {
      core.telemetry.hit(key, label);
      noteLookup(trace, 'hit', 'redis');
      const size = lookup.raw.length;
      core.local.keep(fullKey, lookup.value, codec, lookup.header, size, epoch, opts.eagerRefresh);
      if (opts.eagerRefresh !== undefined && pastRefreshPoint(lookup, opts.eagerRefresh)) {
        this.refresher.refresh(requestOf(key, fullKey, codec, opts, 'get'), loader, lookup);
      }
      return lookup.value as T;
    }
    if (
      lookup.state === 'stale' &&
      Date.now() < lookup.header.freshUntil + (opts.staleWhileRevalidate ?? 0) * 1000
    ) {
      // Stale-while-revalidate: answer now with the old value, refresh once in the background.
      core.telemetry.hit(key, label);
      core.telemetry.staleServed(key, label);
      noteLookup(trace, 'stale', 'redis');
      this.refresher.refresh(requestOf(key, fullKey, codec, opts, 'get'), loader, lookup);
      return lookup.value as T;
    }
    // Inside a load of this key (a loader reading its own key): joining would wait for itself.
    const cycle =
      cycleClosedBy(core.flights, key, fullKey, leaseOf(lookup)) ?? joinCycle(core, key, fullKey);
    if (cycle !== undefined) {
      if (heldLease !== undefined) core.leases.release(fullKey, heldLease);
      throw new ReentrantLoadError(cycle, 'get');
    }
    try {
      core.telemetry.miss(key, label);
      noteLookup(trace, 'miss');
    } catch (error) {
      // A 'miss' listener threw: the call fails with its error, and the lease our read took
      // must not stay behind (every process would wait leaseTtlMs for a load not coming).
      if (heldLease !== undefined) core.leases.release(fullKey, heldLease);
      throw error;
    }
    const request = requestOf(key, fullKey, codec, opts, 'get');
    const found = lookup;
    // The load this call runs or joins: if it answers from the grace window, the read was stale.
    let flight: Flight | undefined;
    const loaded = core.flights.run(
      fullKey,
      (own) => {
        flight = own;
        return insideFlight(core.flights, key, fullKey, own, () =>
          this.missPath.load(request, loader, found, own, heldLease),
        );
      },
      (joined, promise) => {
        flight = joined;
        // Joining a load of this process (it began meanwhile): ours is not needed.
        if (heldLease !== undefined) core.leases.release(fullKey, heldLease);
        core.telemetry.counters.coalesced++;
        noteJoin(joined, promise);
      },
      (inFlight) => canJoin(inFlight, found, startedAt),
    ) as Promise<T>;
    if (trace === undefined) return loaded;
    const value = await loaded;
    if (flight?.servedStale === true) noteLookup(trace, 'stale', 'redis');
    return value;
  }
}

/** A promise rejected with `error`, as an `async` function's throw would be. */
// eslint-disable-next-line @typescript-eslint/require-await -- async, so the throw becomes a rejection
async function rejected(error: unknown): Promise<never> {
  throw error;
}

/** The cycle that joining the load of `fullKey` in flight would close across calls, if any. */
export function joinCycle(core: CacheCore, key: string, fullKey: string): string[] | undefined {
  const inFlight = core.flights.peek(fullKey);
  return inFlight === undefined ? undefined : cycleThroughJoin(inFlight, key);
}

/** The lease marker a lookup found at the key, if it found one. */
function leaseOf(lookup: Lookup): string | undefined {
  return lookup.state === 'leased' ? lookup.marker : undefined;
}

/** True once a hit is past the eager refresh point (a fraction of its TTL). */
function pastRefreshPoint(found: FoundEntry, fraction: number): boolean {
  const { writtenAt, freshUntil } = found.header;
  return (
    Number.isFinite(freshUntil) && Date.now() >= writtenAt + (freshUntil - writtenAt) * fraction
  );
}
