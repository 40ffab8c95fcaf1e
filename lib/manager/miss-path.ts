import { CacheError, type CacheOperation } from '../errors/cache-error';
import type { GetOptions } from './cache-aside.options';
import type { CacheCore, Loader } from './cache-core';
import type { Codec } from '../entry/codec';
import { restampedCopy, type TagStamp } from '../entry/entry-format';
import { newLeaseMarker, pollSchedule } from './load-lease';
import { ABSENT, LEASED, type FoundEntry, type Lookup } from './lookup';
import type { Flight } from './single-flight';
import { raceTimeout, TIMED_OUT } from './timeout-race';

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
   */
  async load<T>(
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
        leased = await this.core.leases.take(fullKey, current, marker);
      } catch (error) {
        this.core.telemetry.redisFailed(error, 'get', key, opts.label);
        return this.callLoader(key, loader, opts.label);
      }
      if (leased) {
        flight.lease = marker;
        return this.loadAndStore(fullKey, key, loader, codec, opts, marker, stale);
      }

      // Another process holds the lease or wrote meanwhile: wait for its value, a little past
      // the lease's own expiry so that a crashed holder's lease is seen to go.
      const deadline = Date.now() + this.core.leases.ttlMs + LEASE_EXPIRY_MARGIN_MS;
      const refused =
        current.state === 'stale' || current.state === 'unusable' ? current.raw : undefined;
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

  /** Redis failed on the read: serve from the loader, still one load per key in this process. */
  withoutCache<T>(
    fullKey: string,
    key: string,
    loader: Loader<T>,
    label: string | undefined,
  ): Promise<T> {
    return this.core.flights.run(
      fullKey,
      () => this.callLoader(key, loader, label),
      () => this.core.telemetry.counters.coalesced++,
    ) as Promise<T>;
  }

  async callLoader<T>(key: string, loader: Loader<T>, label: string | undefined): Promise<T> {
    const started = Date.now();
    try {
      return await loader(key);
    } finally {
      this.core.telemetry.counters.load(label, Date.now() - started);
    }
  }

  /**
   * Encodes and stores a loaded value under our lease (in the background, never rejecting), or
   * gives the lease back when the value is not to be cached (tags unreadable, `ttl <= 0`, not
   * encodable). `epochAtLoad` was taken before the load began (see `LocalCoherence.keep`).
   */
  storeLoaded<T>(
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
    const { core } = this;
    const wantsTags = opts.tags !== undefined && opts.tags.length > 0;
    const entry =
      wantsTags && tags === undefined
        ? undefined
        : core.writer.prepare(value, codec, opts, tags, key, operation);
    if (entry === undefined) {
      core.leases.release(fullKey, marker);
      return;
    }
    core.background.track(
      core.gateway.storeIfLeased(fullKey, marker, entry.bytes, entry.px).then(
        (landed) => {
          if (!landed) return;
          core.telemetry.stored(key);
          core.local.keep(
            fullKey,
            value,
            codec,
            entry,
            entry.bytes.length,
            epochAtLoad,
            opts.eagerRefresh,
          );
        },
        (error: unknown) => {
          core.telemetry.redisFailed(error, operation, key, opts.label);
        },
      ),
    );
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
        raw = await this.core.gateway.get(fullKey);
      } catch (error) {
        this.core.telemetry.redisFailed(error, 'get', key, label);
        return result(LEASED);
      }
      if (raw === null) return result(ABSENT);
      // The entry we could not take over is still there unchanged: nobody is loading it, and
      // waiting will not change that. Load without storing instead of spinning.
      if (refused !== undefined && raw.equals(refused)) return result(LEASED);
      const lookup = await this.core.reader.read(raw, codec, key, 'get', label);
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
    const { core } = this;
    // Taken before the load: any invalidation this process hears of during it keeps the result
    // out of the in-process tier (the Redis side is guarded by the lease and the tag stamps).
    const epoch = core.local.epoch;
    const wantsTags = opts.tags !== undefined && opts.tags.length > 0;
    // Tag tokens are read before the loader runs: an invalidation during the load then shows.
    const tags = wantsTags ? await core.reader.stamps(opts.tags!, 'get', key) : undefined;
    const graceEnds = stale ? stale.header.freshUntil + (opts.grace ?? 0) * 1000 : 0;
    const outcome = this.callLoader(key, loader, opts.label).then(
      (value) => {
        this.storeLoaded(fullKey, key, value, codec, opts, marker, tags, 'get', epoch);
        return { value };
      },
      (error: unknown) => {
        if (stale && graceEnds > Date.now())
          this.restoreStale(fullKey, key, stale, marker, graceEnds, error, opts.label);
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
  private restoreStale(
    fullKey: string,
    key: string,
    stale: FoundEntry,
    marker: string,
    graceEnds: number,
    error: unknown,
    label: string | undefined,
  ): void {
    const { core } = this;
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
