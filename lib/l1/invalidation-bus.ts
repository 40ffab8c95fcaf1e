import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis/redis-client';
import type { RedisGateway } from '../redis/redis-gateway';

/** What one instance tells the others to drop from their in-process tier (full keys). */
export type BusMessage =
  | { readonly kind: 'keys'; readonly keys: readonly string[] }
  | { readonly kind: 'pattern'; readonly match: string }
  | { readonly kind: 'tags'; readonly tags: readonly string[] };

interface Wire {
  /** The instance that sent it (its own tier was already cleared). */
  o: string;
  m: BusMessage;
}

/**
 * Keeps every instance's in-process tier coherent: each invalidation is published on one Redis
 * channel per key prefix, and every instance drops what it names. Pub/sub delivers at most once,
 * so while the subscriber connection is down the tier is switched off and emptied, and it only
 * comes back once the subscription is live again — a lost message can never leave a stale copy.
 */
export class InvalidationBus {
  readonly instanceId = randomBytes(8).toString('hex');
  private readonly channel: string;
  private readonly subscriber: RedisClient;
  private live = false;
  private closed = false;

  constructor(
    private readonly gateway: RedisGateway,
    keyPrefix: string,
    private readonly handlers: {
      onMessage(message: BusMessage): void;
      onUnreadable(): void;
      onLiveChange(live: boolean): void;
    },
  ) {
    this.channel = `cache-aside:l1:${keyPrefix}`;
    // A connection of our own: a subscribed connection can send nothing else. We created it, so
    // close() releases it (the user's client is never closed).
    this.subscriber = gateway.client.duplicate() as RedisClient;
    this.subscriber.on('error', () => undefined); // reported through the gateway's commands instead
    this.subscriber.on('message', (channel: string, text: string) => this.receive(channel, text));
    this.subscriber.on('ready', () => void this.subscribe());
    this.subscriber.on('close', () => this.setLive(false));
    void this.subscribe();
  }

  /** True while messages are being received: only then may the tier be used. */
  get isLive(): boolean {
    return this.live;
  }

  /** Tells the other instances; throws when Redis cannot take it (the caller queues a replay). */
  async publish(message: BusMessage): Promise<void> {
    await this.gateway.publish(this.channel, JSON.stringify({ o: this.instanceId, m: message } satisfies Wire));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.setLive(false);
    this.subscriber.disconnect();
  }

  private async subscribe(): Promise<void> {
    if (this.closed || this.live) return;
    try {
      await this.subscriber.subscribe(this.channel);
      if (!this.closed) this.setLive(true);
    } catch {
      // Not subscribed: the tier stays off; the next 'ready' tries again.
      this.setLive(false);
    }
  }

  private receive(channel: string, text: string): void {
    if (channel !== this.channel) return;
    let wire: unknown;
    try {
      wire = JSON.parse(text);
    } catch {
      return; // not JSON, so not ours: nothing to drop
    }
    const message = busMessageOf(wire);
    if (message === undefined) {
      // Another version or another application on our channel: we cannot tell what it drops,
      // so drop everything rather than keep a copy it may have meant.
      this.handlers.onUnreadable();
      return;
    }
    if ((wire as Wire).o !== this.instanceId) this.handlers.onMessage(message);
  }

  private setLive(live: boolean): void {
    if (this.live === live) return;
    this.live = live;
    this.handlers.onLiveChange(live);
  }
}

/** The message in a wire object, if it has the shape this version sends. */
function busMessageOf(wire: unknown): BusMessage | undefined {
  const m = (wire as Partial<Wire> | null)?.m as { kind?: unknown; keys?: unknown; match?: unknown; tags?: unknown } | undefined;
  if (typeof (wire as Partial<Wire> | null)?.o !== 'string' || m === null || typeof m !== 'object') return undefined;
  const strings = (list: unknown): list is string[] => Array.isArray(list) && list.every((item) => typeof item === 'string');
  if (m.kind === 'keys' && strings(m.keys)) return { kind: 'keys', keys: m.keys };
  if (m.kind === 'tags' && strings(m.tags)) return { kind: 'tags', tags: m.tags };
  if (m.kind === 'pattern' && typeof m.match === 'string') return { kind: 'pattern', match: m.match };
  return undefined;
}
