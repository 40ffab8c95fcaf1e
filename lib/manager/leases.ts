import { fullKeyOf } from '../entry/key-layout';
import { RedisUnavailableError } from '../errors/redis-unavailable.error';
import type { RedisGateway } from '../redis/redis-gateway';
import type { BackgroundTasks } from './background-tasks';
import { identityOf } from '../entry/entry-format';
import { newLeaseMarker } from './load-lease';
import type { Lookup } from './lookup';
import type { Telemetry } from './telemetry';

/** Give-backs held for Redis's return at most; past that, a lease is left to expire by itself. */
export const MAX_HELD_GIVE_BACKS = 10_000;

/** A give-back Redis did not take, held until Redis answers again or the lease is over anyway. */
interface HeldGiveBack {
  readonly fullKey: string;
  readonly via: RedisGateway;
  /** When the lease has expired by itself at the latest (`Date.now()` time). */
  readonly until: number;
}

/** Taking and giving back load leases (see `load-lease.ts` for why they sit at the key). */
export class Leases {
  /** By lease marker (each is unique). */
  private readonly held = new Map<string, HeldGiveBack>();

  constructor(
    private readonly gateway: RedisGateway,
    private readonly telemetry: Telemetry,
    private readonly background: BackgroundTasks,
    private readonly keyPrefix: string,
    readonly ttlMs: number,
  ) {
    gateway.onRecovered(() => {
      this.giveBackHeld();
    });
  }

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
      // Never sent (circuit open, client not ready): there is no lease to give back.
      if (!(error instanceof RedisUnavailableError)) this.release(fullKey, marker, via);
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

  /**
   * Gives a lease back (in the background) so others stop waiting at once. One that fails (Redis
   * unreachable, the circuit open, a Cluster master killed under it) is held and sent again once
   * Redis answers: before, other processes waited out the whole lease (5 s by default) for a
   * load whose store had failed with it. Giving back is a compare-and-delete of our own marker,
   * so sending it again, or after the lease went, changes nothing else.
   */
  release(fullKey: string, marker: string, via: RedisGateway = this.gateway): void {
    this.giveBack(fullKey, marker, via, Date.now() + this.ttlMs);
  }

  private giveBack(fullKey: string, marker: string, via: RedisGateway, until: number): void {
    this.background.track(
      via.releaseLease(fullKey, marker).catch(() => {
        if (this.held.size < MAX_HELD_GIVE_BACKS) this.held.set(marker, { fullKey, via, until });
      }),
    );
  }

  /** Sends the held give-backs again, but for leases that have expired by now. */
  private giveBackHeld(): void {
    const now = Date.now();
    for (const [marker, { fullKey, via, until }] of this.held) {
      this.held.delete(marker);
      if (until > now) this.giveBack(fullKey, marker, via, until);
    }
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
