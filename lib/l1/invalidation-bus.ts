import { randomBytes } from 'node:crypto';
import { MAX_GLOB_LENGTH } from '../entry/glob';
import { busChannelOf } from '../entry/key-layout';
import type { Invalidation } from '../entry/invalidation';
import type { Subscriber } from '../redis/clients/client-connection';
import type { RedisGateway } from '../redis/redis-gateway';

interface Wire {
  /** The instance that sent it (its own tier was already cleared). */
  o: string;
  m: Invalidation;
}

/** A heartbeat an instance sends itself through Redis, to know its subscription still delivers. */
interface Heartbeat {
  o: string;
  h: number;
}

/** How often an instance checks, by default, that its subscription still delivers. */
export const DEFAULT_L1_HEARTBEAT_MS = 1000;

/**
 * Keeps every instance's in-process tier coherent: each invalidation is published on one Redis
 * channel per key prefix (`<prefix>~l1`, under the prefix so that `&<prefix>*` allows it), and every instance drops what it names. Pub/sub delivers at most once,
 * so the tier is used only while messages are known to arrive: it is switched off and emptied
 * when the subscriber connection closes, and also when a heartbeat this instance publishes to
 * itself does not come back in time (a connection that went silent without closing, a Cluster
 * subscription moved to another node). A lost message can leave a stale copy for at most about
 * two heartbeat periods, and only in that silent case.
 */
export class InvalidationBus {
  readonly instanceId = randomBytes(8).toString('hex');
  private readonly channel: string;
  private readonly subscriber: Subscriber;
  private readonly heartbeat: NodeJS.Timeout;
  private subscribed = false;
  /** The heartbeat sent and not yet heard back, if any. */
  private awaitedBeat: number | undefined;
  private beats = 0;
  private silent = false;
  private live = false;
  private closed = false;

  constructor(
    private readonly gateway: RedisGateway,
    keyPrefix: string,
    private readonly handlers: {
      onMessage(message: Invalidation): void;
      onUnreadable(): void;
      onLiveChange(live: boolean): void;
    },
    heartbeatMs = DEFAULT_L1_HEARTBEAT_MS,
  ) {
    this.channel = busChannelOf(keyPrefix);
    // A connection of our own: a subscribed connection can send nothing else. We created it, so
    // close() releases it (the user's client is never closed).
    this.subscriber = gateway.subscriber();
    this.subscriber.onStateChange((up) => {
      if (up) {
        void this.subscribe();
        return;
      }
      this.subscribed = false;
      this.updateLive();
    });
    this.heartbeat = setInterval(() => {
      this.beat();
    }, heartbeatMs);
    this.heartbeat.unref();
    void this.subscribe();
  }

  /** True while messages are known to arrive: only then may the tier be used. */
  get isLive(): boolean {
    return this.live;
  }

  /** Tells the other instances; throws when Redis cannot take it (the caller queues a replay). */
  async publish(message: Invalidation): Promise<void> {
    await this.gateway.publish(
      this.channel,
      JSON.stringify({ o: this.instanceId, m: message } satisfies Wire),
    );
  }

  close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    this.updateLive();
    this.subscriber.close();
    return Promise.resolve();
  }

  private async subscribe(): Promise<void> {
    if (this.closed || this.subscribed) return;
    try {
      await this.subscriber.subscribe(this.channel, (text) => {
        this.receive(this.channel, text);
      });
      this.subscribed = true;
      this.silent = false; // delivering from now on
      this.awaitedBeat = undefined;
    } catch {
      // Not subscribed: the tier stays off; the next 'ready' tries again.
      this.subscribed = false;
    }
    this.updateLive();
  }

  /** The last heartbeat did not come back: the subscription is silent until one does. */
  private beat(): void {
    if (this.awaitedBeat !== undefined) this.silent = true;
    this.updateLive();
    const beat = ++this.beats;
    this.awaitedBeat = beat;
    this.gateway
      .publish(this.channel, JSON.stringify({ o: this.instanceId, h: beat } satisfies Heartbeat))
      .catch(() => {
        this.silent = true;
        this.updateLive();
      });
  }

  private receive(channel: string, text: string): void {
    if (channel !== this.channel) return;
    if (text.length > MAX_BUS_MESSAGE_LENGTH) {
      // Not a message this version sends: whoever published it, drop everything rather than
      // parse and match an unbounded input.
      this.handlers.onUnreadable();
      return;
    }
    let wire: unknown;
    try {
      wire = JSON.parse(text);
    } catch {
      return; // not JSON, so not ours: nothing to drop
    }
    if (typeof (wire as Partial<Heartbeat> | null)?.h === 'number') {
      if ((wire as Heartbeat).o === this.instanceId && (wire as Heartbeat).h === this.awaitedBeat) {
        this.awaitedBeat = undefined;
        this.silent = false;
        this.updateLive();
      }
      return; // another instance's heartbeat: nothing to drop
    }
    const message = invalidationOf(wire);
    if (message === undefined) {
      // Another version or another application on our channel: we cannot tell what it drops,
      // so drop everything rather than keep a copy it may have meant.
      this.handlers.onUnreadable();
      return;
    }
    if ((wire as Wire).o !== this.instanceId) this.handlers.onMessage(message);
  }

  private updateLive(): void {
    const live = this.subscribed && !this.silent && !this.closed;
    if (this.live === live) return;
    this.live = live;
    this.handlers.onLiveChange(live);
  }
}

/**
 * Bounds on what a bus message may hold. Anyone who can PUBLISH on the channel can send one, so
 * a message is untrusted input: one beyond these is unreadable (every instance drops its whole
 * tier, which is always safe) rather than parsed or matched at length.
 */
const MAX_BUS_MESSAGE_LENGTH = 1024 * 1024;
/** A prefix escaped for MATCH can double in length; the caller's glob is at most MAX_GLOB_LENGTH. */
const MAX_BUS_PATTERN_LENGTH = 4 * MAX_GLOB_LENGTH;

/** The message in a wire object, if it has the shape this version sends. */
function invalidationOf(wire: unknown): Invalidation | undefined {
  const m = (wire as Partial<Wire> | null)?.m as
    | { kind?: unknown; keys?: unknown; match?: unknown; alsoMatch?: unknown; tags?: unknown }
    | undefined;
  // A bus message is untrusted input (anyone who can PUBLISH on the channel): `m` may be anything.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- JSON.parse can yield null
  if (typeof (wire as Partial<Wire> | null)?.o !== 'string' || m === null || typeof m !== 'object')
    return undefined;
  const strings = (list: unknown): list is string[] =>
    Array.isArray(list) && list.every((item) => typeof item === 'string');
  if (m.kind === 'keys' && strings(m.keys)) return { kind: 'keys', keys: m.keys };
  if (m.kind === 'tags' && strings(m.tags)) return { kind: 'tags', tags: m.tags };
  const glob = (text: unknown): text is string =>
    typeof text === 'string' && text.length <= MAX_BUS_PATTERN_LENGTH;
  if (m.kind === 'pattern' && glob(m.match)) {
    if (m.alsoMatch === undefined) return { kind: 'pattern', match: m.match };
    if (strings(m.alsoMatch) && m.alsoMatch.length <= 2 && m.alsoMatch.every(glob))
      return { kind: 'pattern', match: m.match, alsoMatch: m.alsoMatch };
  }
  return undefined;
}
