import type { CacheOperation } from '../errors/cache-error';
import type { GetOptions } from '../manager/cache-aside.options';
import type { Codec } from '../entry/codec';
import type { EntryHeader } from '../entry/entry-format';
import { globToRegExp } from '../entry/glob';
import type { Invalidation } from '../entry/invalidation';
import type { Telemetry } from '../manager/telemetry';
import type { RedisGateway } from '../redis/redis-gateway';
import { InvalidationBus } from './invalidation-bus';
import { LocalTier, type L1Entry, type L1Options } from './local-tier';

/**
 * The in-process tier and the bus that keeps it coherent, as the manager uses them: look a key
 * up, keep a value read or written here, drop what any instance invalidates, and tell the other
 * instances when this one rewrote a key.
 */
export class LocalCoherence {
  readonly tier: LocalTier;
  readonly bus: InvalidationBus;

  constructor(
    options: L1Options,
    gateway: RedisGateway,
    keyPrefix: string,
    private readonly telemetry: Telemetry,
    /** Queues an invalidation of a key whose rewrite could not be announced. */
    private readonly deferInvalidation: (
      item: Invalidation,
      operation: CacheOperation,
      key: string,
    ) => void,
  ) {
    const tier = new LocalTier(options);
    this.tier = tier;
    this.bus = new InvalidationBus(
      gateway,
      keyPrefix,
      {
        onMessage: (message) => {
          this.drop(message);
        },
        onUnreadable: () => {
          tier.clear();
        },
        onLiveChange: () => {
          tier.clear();
        },
      },
      options.heartbeatMs,
    );
  }

  /** Counts invalidations heard: a value is kept only if none arrived since it was read. */
  get epoch(): number {
    return this.tier.epoch;
  }

  /** The live copy of a key written by the same codec, if any. */
  lookup(fullKey: string, codec: Codec): L1Entry | undefined {
    const local = this.tier.get(fullKey, Date.now());
    return local !== undefined && local.codec === codec ? local : undefined;
  }

  /**
   * Keeps a value while the bus is live, until its freshness ends — or its eager refresh point,
   * so that the refresh still happens on the Redis path — unless an invalidation arrived since
   * `epochAtRead` (a value read before another instance's write must not outlive its message).
   */
  keep(
    fullKey: string,
    value: unknown,
    codec: Codec,
    header: Pick<EntryHeader, 'writtenAt' | 'freshUntil' | 'tags'>,
    bytes: number,
    opts: Pick<GetOptions, 'eagerRefresh'>,
    epochAtRead: number,
  ): void {
    if (!this.bus.isLive || this.tier.epoch !== epochAtRead) return;
    const { writtenAt, freshUntil } = header;
    const until =
      opts.eagerRefresh !== undefined && Number.isFinite(freshUntil)
        ? writtenAt + (freshUntil - writtenAt) * opts.eagerRefresh
        : freshUntil;
    this.tier.set(
      fullKey,
      value,
      codec,
      until,
      bytes,
      header.tags?.map(({ tag }) => tag),
      Date.now(),
    );
  }

  /** Drops what an invalidation (local or from another instance) names. */
  drop(item: Invalidation): void {
    if (item.kind === 'keys') for (const key of item.keys) this.tier.invalidate(key);
    else if (item.kind === 'pattern') this.tier.deleteMatching(globToRegExp(item.match));
    else this.tier.deleteTagged(item.tags);
  }

  /**
   * A key was rewritten here: other instances drop their copy. If the message cannot be sent, an
   * invalidation of the key is queued: its replay removes the entry and tells them then, so no
   * copy elsewhere outlives the write.
   */
  async tellOthers(fullKey: string, operation: CacheOperation, key: string): Promise<void> {
    try {
      await this.bus.publish({ kind: 'keys', keys: [fullKey] });
    } catch (error) {
      this.telemetry.redisFailed(error, operation, key);
      this.deferInvalidation({ kind: 'keys', keys: [fullKey] }, operation, key);
    }
  }

  close(): Promise<void> {
    return this.bus.close();
  }
}
