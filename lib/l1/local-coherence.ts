import type { Codec } from '../entry/codec';
import { patternMatcherOf, type Invalidation } from '../entry/invalidation';
import type { CacheOperation } from '../errors/cache-error';
import type { RedisGateway } from '../redis/redis-gateway';
import { InvalidationBus } from './invalidation-bus';
import { LocalTier, type L1Entry, type L1Options } from './local-tier';
import type { KeptHeader, ProcessTier } from './process-tier';

/** Told when a rewrite could not be announced: the manager reports it and queues an invalidation. */
export type AnnounceFailed = (
  error: unknown,
  item: Invalidation,
  operation: CacheOperation,
  key: string,
) => void;

/**
 * The in-process tier and the bus that keeps it coherent, as the manager uses them: look a key
 * up, keep a value read or written here, drop what any instance invalidates, and tell the other
 * instances when this one rewrote a key.
 */
export class LocalCoherence implements ProcessTier {
  readonly tier: LocalTier;
  readonly bus: InvalidationBus;
  readonly publish: (item: Invalidation) => Promise<void>;

  constructor(
    options: L1Options,
    gateway: RedisGateway,
    keyPrefix: string,
    /** A rewrite could not be announced: its invalidation must be queued (its replay tells them). */
    private readonly announceFailed: AnnounceFailed,
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
    this.publish = (item) => this.bus.publish(item);
  }

  get epoch(): number {
    return this.tier.epoch;
  }

  get size(): number {
    return this.tier.size;
  }

  get bytes(): number {
    return this.tier.bytes;
  }

  lookup(fullKey: string, codec: Codec): L1Entry | undefined {
    const local = this.tier.get(fullKey, Date.now());
    return local !== undefined && local.codec === codec ? local : undefined;
  }

  /**
   * Keeps a value while the bus is live, until its freshness ends — or its eager refresh point —
   * unless an invalidation arrived since `epochAtRead` (a value read before another instance's
   * write must not outlive its message).
   */
  keep(
    fullKey: string,
    value: unknown,
    codec: Codec,
    header: KeptHeader,
    bytes: number,
    epochAtRead: number,
    eagerRefresh?: number,
  ): void {
    if (!this.bus.isLive || this.tier.epoch !== epochAtRead) return;
    const { writtenAt, freshUntil } = header;
    const until =
      eagerRefresh !== undefined && Number.isFinite(freshUntil)
        ? writtenAt + (freshUntil - writtenAt) * eagerRefresh
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

  drop(item: Invalidation): void {
    if (item.kind === 'keys') for (const key of item.keys) this.tier.invalidate(key);
    else if (item.kind === 'pattern') this.tier.deleteMatching(patternMatcherOf(item));
    else this.tier.deleteTagged(item.tags);
  }

  /**
   * If the message cannot be sent, an invalidation of the key is queued: its replay removes the
   * entry and tells them then, so no copy elsewhere outlives the write.
   */
  async tellOthers(fullKey: string, operation: CacheOperation, key: string): Promise<void> {
    const item: Invalidation = { kind: 'keys', keys: [fullKey] };
    try {
      await this.bus.publish(item);
    } catch (error) {
      this.announceFailed(error, item, operation, key);
    }
  }

  close(): Promise<void> {
    return this.bus.close();
  }
}
