import { BatchSizeMismatchError } from '../errors/batch-size-mismatch.error';
import type { GetOptions } from './cache-aside.options';
import type { CacheCore } from './cache-core';
import type { Codec } from '../entry/codec';
import { ABSENT, type Lookup } from './lookup';
import type { MissPath } from './miss-path';
import { canJoin, type Flight } from './single-flight';

const NEVER_JOIN = (): boolean => false;

/** A batch loader: the missing keys in, one value per key out, in the same order. */
export type BatchLoader<T> = (missing: string[]) => Promise<readonly T[]> | readonly T[];

/**
 * `getMany`: the in-process tier first, then one round trip for the rest (one MGET per slot on a
 * Cluster), then one loader call with only the missing keys, deduplicated. Keys that another
 * call in this process is loading are joined; each key of the batch becomes a load others can
 * join; each value is stored under its own lease.
 */
export class BatchRead {
  constructor(
    private readonly core: CacheCore,
    private readonly missPath: MissPath,
  ) {}

  async read<T>(
    keys: readonly string[],
    loader: BatchLoader<T>,
    codec: Codec,
    opts: GetOptions<T>,
  ): Promise<T[]> {
    const { core } = this;
    const label = opts.label;
    const fullKeys = keys.map((key) => core.keyPrefix + key);
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
    let redisUp = true;
    try {
      const raws =
        remote.length === 0 ? [] : await core.gateway.mget(remote.map((i) => fullKeys[i]));
      await Promise.all(
        raws.map(async (raw, r) => {
          const i = remote[r];
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
    } catch (error) {
      core.telemetry.redisFailed(error, 'getMany', undefined, label);
      redisUp = false;
      for (const i of remote) lookups[i] = ABSENT;
    }

    const results = new Array<T>(keys.length);
    const missingIndexes = new Map<string, number[]>();
    lookups.forEach((lookup, i) => {
      if (lookup.state === 'fresh' || lookup.state === 'local') {
        core.telemetry.hit(keys[i], label);
        results[i] = lookup.value as T;
        return;
      }
      core.telemetry.miss(keys[i], label);
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
      const inFlight = core.flights.joinable(core.keyPrefix + key, (flight) =>
        canJoin(flight, lookup),
      );
      if (inFlight === undefined) {
        missing.push(key);
        continue;
      }
      core.telemetry.counters.coalesced++;
      joined.push(
        inFlight.then((value) => {
          for (const index of indexes) results[index] = value as T;
        }),
      );
    }
    if (missing.length > 0)
      await this.loadBatch(
        missing,
        missingIndexes,
        lookups,
        results,
        loader,
        codec,
        opts,
        redisUp,
        epoch,
      );
    await Promise.all(joined);
    return results;
  }

  /**
   * Each key becomes a load in flight (so concurrent reads of it join), leases are taken, the
   * loader is called once with the keys, and each value is stored under its own lease. Keys
   * leased by another process are loaded here but not stored.
   */
  private async loadBatch<T>(
    missing: readonly string[],
    missingIndexes: ReadonlyMap<string, readonly number[]>,
    lookups: readonly Lookup[],
    results: T[],
    loader: BatchLoader<T>,
    codec: Codec,
    opts: GetOptions<T>,
    redisUp: boolean,
    epoch: number,
  ): Promise<void> {
    const { core } = this;
    const label = opts.label;
    const settles: Array<{
      resolve(value: T): void;
      reject(error: unknown): void;
      flight: Flight;
    }> = [];
    for (const key of missing) {
      let settle!: (typeof settles)[number];
      // Always a new flight: one in flight for this key was refused above (its lease is gone).
      core.flights.run(
        core.keyPrefix + key,
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

    const markers = redisUp
      ? await core.leases.takeMany(
          missing,
          missing.map((key) => lookups[missingIndexes.get(key)![0]]),
        )
      : missing.map(() => undefined);
    markers.forEach((marker, i) => (settles[i].flight.lease = marker));
    const wantsTags = opts.tags !== undefined && opts.tags.length > 0;
    const tags =
      wantsTags && markers.some((m) => m !== undefined)
        ? await core.reader.stamps(opts.tags!, 'getMany')
        : undefined;

    const started = Date.now();
    let values: readonly T[];
    try {
      values = await loader([...missing]);
    } catch (error) {
      core.telemetry.counters.load(label, Date.now() - started);
      core.leases.releaseMany(missing, markers);
      return fail(error);
    }
    core.telemetry.counters.load(label, Date.now() - started);
    if (!Array.isArray(values) || values.length !== missing.length) {
      core.leases.releaseMany(missing, markers);
      return fail(
        new BatchSizeMismatchError(
          missing.length,
          Array.isArray(values) ? values.length : undefined,
        ),
      );
    }
    missing.forEach((key, i) => {
      for (const index of missingIndexes.get(key)!) results[index] = values[i];
      settles[i].resolve(values[i]);
      const marker = markers[i];
      if (marker !== undefined)
        this.missPath.storeLoaded(
          core.keyPrefix + key,
          key,
          values[i],
          codec,
          opts,
          marker,
          tags,
          'getMany',
          epoch,
        );
    });
  }
}
