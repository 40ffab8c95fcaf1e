import calculateSlot from 'cluster-key-slot';
import { isReplyError } from '../redis-errors';
import type { LuaScript } from '../scripts';
import type {
  ClientConnection,
  ConnectionState,
  Corkable,
  ScanNode,
  ScriptArgument,
  Subscriber,
} from './client-connection';

/**
 * node-redis 5 (`redis`, `@redis/client`): `createClient()`, `createCluster()` and
 * `createSentinel()` clients. Only the parts used here are typed, as shapes, so that nothing of
 * node-redis is imported (a user of ioredis installs no node-redis).
 *
 * - The application connects its client. Not connected, or reconnecting, is "not ready": the
 *   runner refuses at once (fail-open), and never waits past the deadline.
 * - Binary-safe: every command whose reply is a value asks for RESP blob strings as Buffers
 *   (node-redis's per-command type mapping), so an entry never round-trips through UTF-8.
 * - Its offline queue: each write carries an `AbortSignal` the deadline fires, which takes the
 *   command out of the queue if it is not written yet, so it never lands later over newer data.
 * - It writes the commands of one turn of the event loop in one batch by itself: no cork.
 */
type Reply = unknown;
interface CommandOptions {
  typeMapping?: Record<number, unknown>;
  abortSignal?: AbortSignal;
}
type Argument = string | Buffer;

interface Emitter {
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
}

/** `createClient()` */
export interface NodeRedisClientShape extends Emitter {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  sendCommand(args: readonly Argument[], options?: CommandOptions): Promise<Reply>;
  duplicate(): NodeRedisClientShape & { connect(): Promise<unknown>; destroy(): void };
  withTypeMapping(mapping: object): unknown;
  SUBSCRIBE(channel: string, listener: (message: string) => void): Promise<unknown>;
}

/** `createCluster()` */
export interface NodeRedisClusterShape extends Emitter {
  readonly isOpen: boolean;
  readonly masters: ReadonlyArray<{ client?: { isReady: boolean } }>;
  /** node-redis's slot map; its `rediscover` is what node-redis itself runs on a MOVED reply. */
  readonly _slots?: { rediscover?(startWith: object): Promise<void> };
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: readonly Argument[],
    options?: CommandOptions,
  ): Promise<Reply>;
  nodeClient(node: object): Promise<NodeRedisClientShape>;
  duplicate(): NodeRedisClusterShape & { connect(): Promise<unknown>; destroy(): void };
  SUBSCRIBE(channel: string, listener: (message: string) => void): Promise<unknown>;
}

/** `createSentinel()` */
export interface NodeRedisSentinelShape extends Emitter {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  sendCommand(
    isReadonly: boolean | undefined,
    args: readonly Argument[],
    options?: CommandOptions,
  ): Promise<Reply>;
  getMasterNode(): unknown;
  SUBSCRIBE(channel: string, listener: (message: string) => void): Promise<unknown>;
  UNSUBSCRIBE(channel: string, listener: (message: string) => void): Promise<unknown>;
}

export type NodeRedisFamilyClient =
  NodeRedisClientShape | NodeRedisClusterShape | NodeRedisSentinelShape;

type Kind = 'client' | 'cluster' | 'sentinel';

const has = (value: object, name: string): boolean =>
  typeof (value as Record<string, unknown>)[name] === 'function';

/** Which node-redis client this is, by shape; undefined when it is not one. */
export function nodeRedisKindOf(value: object): Kind | undefined {
  if (!has(value, 'sendCommand') || has(value, 'getBuffer')) return undefined;
  if (has(value, 'nodeClient') && 'masters' in value) return 'cluster';
  if (has(value, 'getMasterNode') && 'isReady' in value) return 'sentinel';
  if (has(value, 'withTypeMapping') && 'isReady' in value && has(value, 'duplicate'))
    return 'client';
  return undefined;
}

/** How often a Cluster with a node down asks for the topology again (see `onNodeLost`). */
const REDISCOVER_EVERY_MS = 500;

/** RESP's blob string (`$`), mapped to Buffer: values come back as bytes. */
const BLOB_STRING = 36;
const AS_BYTES: CommandOptions = Object.freeze({
  typeMapping: Object.freeze({ [BLOB_STRING]: Buffer }),
});
/** node-redis's own decoding (text), whatever mapping the application gave its client. */
const AS_TEXT: CommandOptions = Object.freeze({ typeMapping: Object.freeze({}) });

function withSignal(options: CommandOptions, signal: AbortSignal | undefined): CommandOptions {
  return signal === undefined ? options : { ...options, abortSignal: signal };
}

const text = (value: ScriptArgument): Argument =>
  typeof value === 'number' ? String(value) : value;

export class NodeRedisConnection implements ClientConnection {
  readonly family = 'node-redis';
  readonly isCluster: boolean;
  readonly abortsUnsent = true;
  readonly directGet = undefined;
  private readonly kind: Kind;
  /**
   * True once a connection attempt failed and until the client is ready again: node-redis stays
   * "open" while it retries, and a client that never reached its server must not be waited on
   * for a deadline on every call.
   */
  private retrying = false;

  constructor(readonly client: NodeRedisFamilyClient) {
    const kind = nodeRedisKindOf(client);
    if (kind === undefined) throw new TypeError('[cache-aside] not a node-redis client');
    this.kind = kind;
    this.isCluster = kind === 'cluster';
    if (kind === 'client') {
      client.on('reconnecting', this.onReconnecting);
      client.on('ready', this.onReadyAgain);
    }
    if (kind === 'cluster') client.on('node-reconnecting', this.onNodeLost);
  }

  private readonly onReconnecting = (): void => {
    this.retrying = true;
  };

  private readonly onReadyAgain = (): void => {
    this.retrying = false;
  };

  detach(): void {
    const client = this.client as NodeRedisClientShape;
    client.off('reconnecting', this.onReconnecting);
    client.off('ready', this.onReadyAgain);
    client.off('node-reconnecting', this.onNodeLost);
    clearInterval(this.rediscovering);
    this.rediscovering = undefined;
  }

  /** Set while a Cluster node is down: asks for the topology again (see `onNodeLost`). */
  private rediscovering: NodeJS.Timeout | undefined;

  /**
   * node-redis 5 learns a new Cluster topology only from a MOVED reply: when a master dies, its
   * replica takes the slots, yet the client keeps sending them to the dead address and never gets
   * a reply to learn from. So while a master keeps reconnecting, the topology is asked for again
   * every REDISCOVER_EVERY_MS, from a master that is up, with node-redis's own rediscovery (the
   * one it runs on MOVED); once the replica has taken over, node-redis drops the dead node and
   * sends its slots to the new master, and this stops.
   */
  private readonly onNodeLost = (): void => {
    if (this.rediscovering !== undefined) return;
    this.rediscover();
    this.rediscovering = setInterval(() => {
      if (!this.rediscover()) {
        clearInterval(this.rediscovering);
        this.rediscovering = undefined;
      }
    }, REDISCOVER_EVERY_MS);
    this.rediscovering.unref();
  };

  /** Asks for the topology once; false when there is nothing to ask (no master down) or no way. */
  private rediscover(): boolean {
    const cluster = this.client as NodeRedisClusterShape;
    const slots = cluster._slots;
    const masters = cluster.masters.map((master) => master.client);
    const live = masters.find((client) => client?.isReady === true);
    const down = masters.some((client) => client !== undefined && !client.isReady);
    if (!cluster.isOpen || !down || live === undefined || slots?.rediscover === undefined)
      return false;
    // A failure here is a topology not known yet: the next turn asks again.
    slots.rediscover(live).catch(() => undefined);
    return true;
  }

  nodeOf(key: string): string | undefined {
    if (this.kind !== 'cluster') return undefined;
    // node-redis keeps one shard per slot, its master carrying the node's "host:port" address.
    const slots = (this.client as { slots?: ReadonlyArray<{ master?: { address?: string } }> })
      .slots;
    return slots?.[calculateSlot(key)]?.master?.address;
  }

  servingNodes(): Set<string> {
    const nodes = new Set<string>();
    if (this.kind !== 'cluster') return nodes;
    const slots = (this.client as { slots?: ReadonlyArray<{ master?: { address?: string } }> })
      .slots;
    for (const shard of slots ?? []) if (shard.master?.address) nodes.add(shard.master.address);
    return nodes;
  }

  /** Sends one command; `key` routes it on a Cluster, `readonly` lets node-redis pick a replica. */
  private send(
    key: string | undefined,
    readonly: boolean,
    args: readonly Argument[],
    options: CommandOptions,
  ): Promise<Reply> {
    switch (this.kind) {
      case 'cluster':
        return (this.client as NodeRedisClusterShape).sendCommand(key, readonly, args, options);
      case 'sentinel':
        return (this.client as NodeRedisSentinelShape).sendCommand(false, args, options);
      default:
        return (this.client as NodeRedisClientShape).sendCommand(args, options);
    }
  }

  state(): ConnectionState {
    const client = this.client as { isOpen: boolean; isReady?: boolean };
    if (this.kind === 'cluster') return client.isOpen ? 'ready' : 'down';
    if (client.isReady) return 'ready';
    return client.isOpen && !this.retrying ? 'connecting' : 'down';
  }

  describeState(): string {
    const client = this.client as { isOpen: boolean; isReady?: boolean };
    if (client.isReady) return 'node-redis: ready';
    return client.isOpen ? 'node-redis: connecting' : 'node-redis: not connected (call connect())';
  }

  onReady(listener: () => void): () => void {
    const event =
      this.kind === 'cluster'
        ? 'node-ready'
        : this.kind === 'sentinel'
          ? 'topology-change'
          : 'ready';
    const handler = (): void => {
      if (this.state() === 'ready') listener();
    };
    this.client.on(event, handler);
    return () => this.client.off(event, handler);
  }

  connect(): void {
    // The application connects a node-redis client; a client it has not connected stays down.
  }

  isReplyError(error: unknown): boolean {
    return isReplyError(error);
  }

  get(key: string): Promise<Buffer | null> {
    return this.send(key, true, ['GET', key], AS_BYTES) as Promise<Buffer | null>;
  }

  getOrLease(
    key: string,
    marker: string,
    px: number,
    signal?: AbortSignal,
  ): Promise<Buffer | null> {
    const args = ['SET', key, marker, 'NX', 'PX', String(px), 'GET'];
    return this.send(key, false, args, withSignal(AS_BYTES, signal)) as Promise<Buffer | null>;
  }

  mget(keys: readonly string[]): Promise<Array<Buffer | null>> {
    return this.send(keys[0], true, ['MGET', ...keys], AS_BYTES) as Promise<Array<Buffer | null>>;
  }

  getString(key: string): Promise<string | null> {
    return this.send(key, true, ['GET', key], AS_TEXT) as Promise<string | null>;
  }

  async set(
    key: string,
    value: Buffer | string,
    px: number,
    nx: boolean,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const args: Argument[] = ['SET', key, value];
    if (px > 0) args.push('PX', String(px));
    if (nx) args.push('NX');
    return (await this.send(key, false, args, withSignal(AS_TEXT, signal))) === 'OK';
  }

  unlink(keys: readonly string[], signal?: AbortSignal): Promise<number> {
    return this.send(
      keys[0],
      false,
      ['UNLINK', ...keys],
      withSignal(AS_TEXT, signal),
    ) as Promise<number>;
  }

  pttl(key: string): Promise<number> {
    return this.send(key, true, ['PTTL', key], AS_TEXT) as Promise<number>;
  }

  async getRange(key: string, start: number, end: number): Promise<Buffer> {
    const args = ['GETRANGE', key, String(start), String(end)];
    return ((await this.send(key, true, args, AS_BYTES)) as Buffer | null) ?? Buffer.alloc(0);
  }

  pexpire(key: string, px: number, signal?: AbortSignal): Promise<number> {
    const args = ['PEXPIRE', key, String(px)];
    return this.send(key, false, args, withSignal(AS_TEXT, signal)) as Promise<number>;
  }

  persist(key: string, signal?: AbortSignal): Promise<number> {
    return this.send(key, false, ['PERSIST', key], withSignal(AS_TEXT, signal)) as Promise<number>;
  }

  exists(key: string): Promise<number> {
    return this.send(key, true, ['EXISTS', key], AS_TEXT) as Promise<number>;
  }

  publish(channel: string, message: string, signal?: AbortSignal): Promise<number> {
    const args = ['PUBLISH', channel, message];
    return this.send(channel, false, args, withSignal(AS_TEXT, signal)) as Promise<number>;
  }

  evalSha(
    script: LuaScript,
    key: string,
    args: readonly ScriptArgument[],
    signal?: AbortSignal,
  ): Promise<unknown> {
    const command = ['EVALSHA', script.sha1, '1', key, ...args.map(text)];
    return this.send(key, false, command, withSignal(AS_TEXT, signal));
  }

  evalSource(
    script: LuaScript,
    key: string,
    args: readonly ScriptArgument[],
    signal?: AbortSignal,
  ): Promise<unknown> {
    const command = ['EVAL', script.source, '1', key, ...args.map(text)];
    return this.send(key, false, command, withSignal(AS_TEXT, signal));
  }

  async masters(): Promise<ScanNode[]> {
    if (this.kind !== 'cluster') {
      return [
        {
          scan: (cursor, match, count) =>
            this.scanOn((args) => this.send(undefined, true, args, AS_BYTES), cursor, match, count),
          unlink: (keys) =>
            this.send(undefined, false, ['UNLINK', ...keys], AS_TEXT) as Promise<number>,
        },
      ];
    }
    const cluster = this.client as NodeRedisClusterShape;
    const clients = await Promise.all(cluster.masters.map((master) => cluster.nodeClient(master)));
    return clients.map((node) => ({
      scan: (cursor, match, count) =>
        this.scanOn((args) => node.sendCommand(args, AS_BYTES), cursor, match, count),
      // Keys of one node may span slots: one UNLINK each, written in one batch by node-redis.
      unlink: async (keys) => {
        const counts = await Promise.all(
          keys.map((key) => node.sendCommand(['UNLINK', key], AS_TEXT)),
        );
        return (counts as number[]).reduce((sum, n) => sum + n, 0);
      },
    }));
  }

  private async scanOn(
    send: (args: Argument[]) => Promise<Reply>,
    cursor: string,
    match: string,
    count: number,
  ): Promise<[string, Buffer[]]> {
    const [next, keys] = (await send(['SCAN', cursor, 'MATCH', match, 'COUNT', String(count)])) as [
      Buffer,
      Buffer[],
    ];
    return [next.toString('latin1'), keys];
  }

  sockets(): Corkable[] {
    return [];
  }

  subscriber(): Subscriber {
    if (this.kind === 'sentinel') return this.sentinelSubscriber();
    const connection = (this.client as NodeRedisClientShape | NodeRedisClusterShape).duplicate();
    const listeners: Array<(up: boolean) => void> = [];
    const tell = (up: boolean) => () => {
      for (const listener of listeners) listener(up);
    };
    connection.on('error', () => undefined); // reported through the gateway's commands instead
    connection.on(this.kind === 'cluster' ? 'node-ready' : 'ready', tell(true));
    connection.on(this.kind === 'cluster' ? 'node-disconnect' : 'end', tell(false));
    if (this.kind === 'client') connection.on('reconnecting', tell(false));
    let closed = false;
    const connected = connection.connect().catch(() => undefined);
    const subscribed = new Set<string>();
    return {
      subscribe: async (channel, onMessage) => {
        await connected;
        // node-redis resubscribes by itself after a reconnect: subscribe once per channel.
        if (closed || subscribed.has(channel)) return;
        await connection.SUBSCRIBE(channel, onMessage);
        subscribed.add(channel);
      },
      onStateChange: (listener) => {
        listeners.push(listener);
      },
      close: () => {
        closed = true;
        void connected.then(() => {
          connection.destroy();
        });
      },
    };
  }

  /** node-redis's Sentinel client keeps a pub/sub connection of its own: listen through it. */
  private sentinelSubscriber(): Subscriber {
    const sentinel = this.client as NodeRedisSentinelShape;
    const mine: Array<[string, (message: string) => void]> = [];
    return {
      subscribe: async (channel, onMessage) => {
        if (mine.some(([c]) => c === channel)) return;
        mine.push([channel, onMessage]);
        await sentinel.SUBSCRIBE(channel, onMessage);
      },
      onStateChange: () => undefined,
      close: () => {
        for (const [channel, listener] of mine.splice(0))
          sentinel.UNSUBSCRIBE(channel, listener).catch(() => undefined);
      },
    };
  }
}
