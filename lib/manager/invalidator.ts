import type { CacheOperation } from '../errors/cache-error';
import type { RedisGateway } from '../redis/redis-gateway';
import { globsOf, type Invalidation } from '../entry/invalidation';
import { isLeaseMarker, LEASE_MARKER_PREFIX } from '../entry/entry-format';
import { keyOfFullKey } from '../entry/key-layout';
import { InvalidationQueue } from './invalidation-queue';
import { errorCodeOf } from './redis-error-code';
import type { TagVersions } from './tag-versions';
import type { Telemetry } from './telemetry';
import { raceTimeout } from './timeout-race';

/** While `close()` drains the queue and Redis does not take it, how often it tries again. */
export const DRAIN_RETRY_MS = 50;

/** The public verb behind each kind of invalidation (events of a replay name it). */
const OPERATION_OF = {
  keys: 'invalidate',
  pattern: 'invalidatePattern',
  tags: 'invalidateTags',
} as const satisfies Record<Invalidation['kind'], CacheOperation>;

/**
 * Runs invalidations, and keeps the ones Redis could not take for replay: an invalidation never
 * throws at its caller, and an update is not left stale until the TTL because Redis blinked.
 * Replay happens as soon as the gateway says Redis is back, and on a timer while it is not.
 */
export class Invalidator {
  private readonly queue: InvalidationQueue;
  private retryTimer: NodeJS.Timeout | undefined;
  private replaying: Promise<void> | undefined;
  private readonly listeners: Array<(item: Invalidation) => void> = [];
  /** Set by `drain`: from then on nothing is scheduled, and once it ends, nothing is tried. */
  private draining = false;
  private closed = false;

  constructor(
    private readonly gateway: RedisGateway,
    private readonly tags: TagVersions,
    private readonly telemetry: Telemetry,
    private readonly options: {
      keyPrefix: string;
      queueSize: number;
      retryMs: number;
      /** How long `drain` (close) keeps trying what is queued. */
      closeTimeoutMs: number;
      /** Tells other instances (their in-process tiers); part of the invalidation, so replayed too. */
      publish?: (item: Invalidation) => Promise<void>;
    },
  ) {
    this.queue = new InvalidationQueue(options.queueSize);
    gateway.onRecovered(() => {
      if (!this.closed) void this.replay();
    });
  }

  /** Invalidations waiting for Redis. */
  get pending(): number {
    return this.queue.size;
  }

  /** True while a queued invalidation covers this key: its entry in Redis may be stale. */
  covers(fullKey: string): boolean {
    return this.queue.covers(fullKey);
  }

  coversTags(tags: ReadonlyArray<{ tag: string }>): boolean {
    return this.queue.coversTags(tags);
  }

  /** Told of every invalidation as it is issued (before Redis has it), e.g. to clear a local tier. */
  onInvalidation(listener: (item: Invalidation) => void): void {
    this.listeners.push(listener);
  }

  /** Runs an invalidation; on Redis trouble queues it, reports it and resolves with 0. */
  async run(item: Invalidation, operation: CacheOperation, key?: string): Promise<number> {
    for (const listener of this.listeners) listener(item);
    try {
      const count = await this.execute(item);
      const events = this.telemetry.events;
      if (events.listens('evict')) events.emit('evict', { ...this.describe(item), count });
      return count;
    } catch (error) {
      this.telemetry.redisFailed(error, operation, key);
      // Refused by the ACL: a replay would be refused again, so it is reported, not queued.
      if (errorCodeOf(error) !== 'REDIS_NO_PERMISSION') this.defer(item, operation, key);
      return 0;
    }
  }

  /** Keeps a failed invalidation for replay, and says so. */
  defer(item: Invalidation, operation: CacheOperation, key?: string): void {
    this.telemetry.report(
      'INVALIDATION_DEFERRED',
      'Redis is unreachable; the invalidation is queued and replayed when it is back',
      operation,
      key,
    );
    for (const dropped of this.queue.add(item)) {
      this.telemetry.report(
        'INVALIDATION_DROPPED',
        'the invalidation queue is full (raise invalidationQueueSize); the oldest pending invalidation ' +
          'was dropped and its entries may stay stale until their TTL',
        operation,
        this.firstKeyOf(dropped),
      );
    }
    this.scheduleReplay();
  }

  /** Replays what is queued, in order; stops at the first failure and tries again later. */
  replay(): Promise<void> {
    if (this.queue.size === 0 || this.closed) return Promise.resolve();
    this.replaying ??= this.queue
      .replay(async (item) => {
        // A replay still running when close() gave up stops at the next item.
        if (this.closed) throw new Error('[cache-aside] closed');
        try {
          await this.execute(item);
        } catch (error) {
          // Refused by the ACL: retrying cannot heal it, so it is reported once and dropped.
          if (errorCodeOf(error) !== 'REDIS_NO_PERMISSION') throw error;
          this.telemetry.redisFailed(error, OPERATION_OF[item.kind], this.firstKeyOf(item));
        }
        // Whatever was read in the meantime must not outlive the replay either.
        for (const listener of this.listeners) listener(item);
      })
      .then(
        () => undefined,
        () => {
          this.scheduleReplay();
        },
      )
      .finally(() => (this.replaying = undefined));
    return this.replaying;
  }

  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /**
   * For `close()`: tries what is queued (as soon as Redis takes it, and every
   * {@link DRAIN_RETRY_MS} while it does not) for at most `closeTimeoutMs`, then stops for good.
   * What is still queued is reported — the `'undelivered'` event with the count, and an
   * `INVALIDATION_UNDELIVERED` error — rather than dropped silently. Resolves with that count.
   */
  async drain(): Promise<number> {
    this.draining = true;
    this.stop();
    const end = Date.now() + this.options.closeTimeoutMs;
    // Bounded by time: each turn either empties the queue, or waits for the replay or a pause.
    while (this.queue.size > 0) {
      const left = end - Date.now();
      if (left <= 0) break;
      await raceTimeout(this.replay(), left);
      const pause = Math.min(DRAIN_RETRY_MS, end - Date.now());
      if (this.queue.size > 0 && pause > 0)
        await new Promise((resolve) => setTimeout(resolve, pause));
    }
    this.closed = true;
    const count = this.queue.size;
    if (count > 0) {
      this.telemetry.report(
        'INVALIDATION_UNDELIVERED',
        `close() could not deliver ${count} queued invalidations (keys, patterns, tags) within ` +
          `closeTimeoutMs (${this.options.closeTimeoutMs} ms); their entries may stay stale until their TTL`,
        'close',
      );
      this.telemetry.events.emit('undelivered', { count });
    }
    return count;
  }

  private async execute(item: Invalidation): Promise<number> {
    let count: number;
    if (item.kind === 'tags') {
      await this.tags.invalidate(item.tags);
      count = item.tags.length;
    } else {
      count =
        item.kind === 'keys'
          ? await this.unlinkEntries(item.keys)
          : (await Promise.all(globsOf(item).map((g) => this.gateway.unlinkMatching(g)))).reduce(
              (sum, n) => sum + n,
              0,
            );
      this.telemetry.counters.evictions += count;
    }
    await this.options.publish?.(item);
    return count;
  }

  /**
   * UNLINK of keys, counting entries only: a load lease at a key (another process loading it)
   * is removed too — that is what keeps its result from landing — but it is no entry.
   */
  private async unlinkEntries(keys: readonly string[]): Promise<number> {
    const { removed, heads } = await this.gateway.unlinkWithHeads(
      keys,
      LEASE_MARKER_PREFIX.length + 1,
    );
    const entries = heads.filter((head) => head.length > 0 && !isLeaseMarker(head)).length;
    return Math.min(removed, entries);
  }

  private scheduleReplay(): void {
    if (this.retryTimer || this.queue.size === 0 || this.draining) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.replay();
    }, this.options.retryMs);
    this.retryTimer.unref();
  }

  /** The caller's first key of a key invalidation (for events), else undefined. */
  private firstKeyOf(item: Invalidation): string | undefined {
    return item.kind === 'keys' ? keyOfFullKey(this.options.keyPrefix, item.keys[0]) : undefined;
  }

  private describe(item: Invalidation): {
    keys?: string[];
    pattern?: string;
    tags?: readonly string[];
  } {
    if (item.kind === 'keys')
      return { keys: item.keys.map((k) => keyOfFullKey(this.options.keyPrefix, k)) };
    if (item.kind === 'tags') return { tags: item.tags };
    return { pattern: item.match };
  }
}
