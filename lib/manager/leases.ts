import { fullKeyOf } from '../entry/key-layout';
import type { RedisGateway } from '../redis/redis-gateway';
import type { BackgroundTasks } from './background-tasks';
import { identityOf } from '../entry/entry-format';
import { newLeaseMarker } from './load-lease';
import type { Lookup } from './lookup';
import type { Telemetry } from './telemetry';

/** Taking and giving back load leases (see `load-lease.ts` for why they sit at the key). */
export class Leases {
  constructor(
    private readonly gateway: RedisGateway,
    private readonly telemetry: Telemetry,
    private readonly background: BackgroundTasks,
    private readonly keyPrefix: string,
    readonly ttlMs: number,
  ) {}

  /**
   * `SET NX` for an absent key; compare-and-set over what we read otherwise: a stale entry by its
   * id, an unusable value (corrupt, foreign) by all its bytes, a lease marker only when it has no
   * expiry (not ours: ours always expire). Each is fenced: Redis does not run it past our
   * deadline. A take that failed (its reply late or lost) may still have run in time: the lease is
   * given back behind it on the same connection, so nobody waits for a load that is not coming.
   */
  async take(
    fullKey: string,
    current: Lookup,
    marker: string,
    via: RedisGateway = this.gateway,
  ): Promise<boolean> {
    try {
      return await this.send(fullKey, current, marker, via);
    } catch (error) {
      this.release(fullKey, marker, via);
      throw error;
    }
  }

  private send(
    fullKey: string,
    current: Lookup,
    marker: string,
    via: RedisGateway,
  ): Promise<boolean> {
    if (current.state === 'stale') {
      return via.takeOverById(fullKey, identityOf(current.raw), marker, this.ttlMs);
    }
    if (current.state === 'leased' && current.marker !== undefined)
      return via.takeLeaseFrom(fullKey, current.marker, marker, this.ttlMs);
    return current.state === 'unusable'
      ? via.takeOver(fullKey, current.raw, marker, this.ttlMs)
      : via.acquireLease(fullKey, marker, this.ttlMs);
  }

  /**
   * A lease per key of a batch (one chunk of a `getMany`), in parallel through `via`: the marker,
   * or undefined where we did not get it. A failure is reported once for the chunk, not per key.
   */
  async takeMany(
    keys: readonly string[],
    found: readonly Lookup[],
    via: RedisGateway = this.gateway,
  ): Promise<{ markers: Array<string | undefined>; failed: boolean }> {
    let failure: { error: unknown } | undefined;
    const markers = await Promise.all(
      keys.map(async (key, i) => {
        const marker = newLeaseMarker();
        try {
          return (await this.take(fullKeyOf(this.keyPrefix, key), found[i], marker, via))
            ? marker
            : undefined;
        } catch (error) {
          failure ??= { error };
          return undefined;
        }
      }),
    );
    if (failure !== undefined) this.telemetry.redisFailed(failure.error, 'getMany');
    return { markers, failed: failure !== undefined };
  }

  /** Gives a lease back (in the background) so others stop waiting at once. */
  release(fullKey: string, marker: string, via: RedisGateway = this.gateway): void {
    this.background.track(
      via.releaseLease(fullKey, marker).catch(() => {
        // Nothing to do: the lease expires by itself after its TTL.
      }),
    );
  }

  /** `via`: the batch gateway for a `getMany`'s leases (see `RedisGateway.forBatches`). */
  releaseMany(
    keys: readonly string[],
    markers: ReadonlyArray<string | undefined>,
    via: RedisGateway = this.gateway,
  ): void {
    keys.forEach((key, i) => {
      const marker = markers[i];
      if (marker !== undefined) this.release(fullKeyOf(this.keyPrefix, key), marker, via);
    });
  }
}
