import type { LuaScript } from '../scripts';

/**
 * Where a client stands, as the command runner needs it:
 * - `ready`: commands may be sent now;
 * - `connecting`: the very first connection is under way (a read may wait for it, bounded);
 * - `lazy`: an ioredis `lazyConnect` client that has not connected yet (a write starts it);
 * - `down`: reconnecting, closed, or never connected (node-redis before `connect()`): refuse.
 */
export type ConnectionState = 'ready' | 'connecting' | 'lazy' | 'down';

/** The part of a socket the write coalescer uses (a `net.Socket` or `tls.TLSSocket`). */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/** One master of a Cluster (or the server itself), for SCAN + UNLINK of a pattern. */
export interface ScanNode {
  /** One SCAN step: the next cursor (`'0'` when done) and the keys of this step. */
  scan(cursor: string, match: string, count: number): Promise<[string, Array<string | Buffer>]>;
  /** UNLINK of keys found on this node (one command per key on a Cluster: they may span slots). */
  unlink(keys: ReadonlyArray<string | Buffer>): Promise<number>;
}

/** A connection of its own, subscribed to one channel (the L1 invalidation bus). */
export interface Subscriber {
  /** Subscribes; `onMessage` receives each message of `channel` as text. */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<void>;
  /** `true` when the connection is (again) ready, `false` when it closed or is reconnecting. */
  onStateChange(listener: (up: boolean) => void): void;
  /** Closes the connection (it is ours: the user's client is never closed). */
  close(): void;
}

/** An argument of a script: strings travel as UTF-8, Buffers as they are. */
export type ScriptArgument = string | Buffer | number;

/**
 * The narrow interface every Redis access goes through: the commands the cache sends (values
 * always as bytes, never through a UTF-8 string), the connection's state, a duplicate for
 * subscribing, and the sockets to cork. One adapter per client family implements it
 * (`ioredis.ts`, `node-redis.ts`, `memory.ts`). Keys are strings; a Cluster adapter routes each
 * command by its key, and the gateway never sends a multi-key command across slots.
 *
 * `signal`, where taken, aborts a command not yet written to the socket (the deadline gave up on
 * it): a client's offline queue must never send it later, over newer data.
 */
export interface ClientConnection {
  /** Which adapter this is, for messages and tests. */
  readonly family: 'ioredis' | 'node-redis' | 'memory';
  /** The application's client, as it was given. */
  readonly client: object;
  readonly isCluster: boolean;

  state(): ConnectionState;
  /** The client's own word for its state, for messages (`status "reconnecting"`). */
  describeState(): string;
  /** Calls `listener` each time the client becomes ready; returns the way to stop. */
  onReady(listener: () => void): () => void;
  /** Starts the connection of a `lazy` client. */
  connect(): void;
  /**
   * Removes what this connection added to the user's client (listeners, timers): the client
   * outlives the manager, and may serve many managers one after another.
   */
  detach(): void;
  /** True for an error reply of the server (it answered), false for a connection failure. */
  isReplyError(error: unknown): boolean;

  get(key: string): Promise<Buffer | null>;
  /**
   * `SET key marker NX PX px GET` (Redis 7): the key's bytes as GET answers them, and when the
   * key was absent, our lease put there in the same step (the reply is then null).
   */
  getOrLease(key: string, marker: string, px: number, signal?: AbortSignal): Promise<Buffer | null>;
  /** Keys of one slot (the gateway groups them). */
  mget(keys: readonly string[]): Promise<Array<Buffer | null>>;
  getString(key: string): Promise<string | null>;
  /** SET with `PX px` (none when `px` is 0) and `NX` if asked; true when it was written. */
  set(
    key: string,
    value: Buffer | string,
    px: number,
    nx: boolean,
    signal?: AbortSignal,
  ): Promise<boolean>;
  /** Keys of one slot (the gateway groups them). */
  unlink(keys: readonly string[], signal?: AbortSignal): Promise<number>;
  pttl(key: string): Promise<number>;
  getRange(key: string, start: number, end: number): Promise<Buffer>;
  pexpire(key: string, px: number, signal?: AbortSignal): Promise<number>;
  persist(key: string, signal?: AbortSignal): Promise<number>;
  exists(key: string): Promise<number>;
  publish(channel: string, message: string, signal?: AbortSignal): Promise<number>;
  /** EVALSHA of a one-key script; rejects with a NOSCRIPT reply when the server lacks it. */
  evalSha(
    script: LuaScript,
    key: string,
    args: readonly ScriptArgument[],
    signal?: AbortSignal,
  ): Promise<unknown>;
  /** EVAL of a one-key script (after NOSCRIPT). Integer replies are numbers, bulk ones strings. */
  evalSource(
    script: LuaScript,
    key: string,
    args: readonly ScriptArgument[],
    signal?: AbortSignal,
  ): Promise<unknown>;
  /** Every master now (the client itself when standalone). */
  masters(): Promise<ScanNode[]>;
  /** The sockets to cork for one tick (empty when the client batches its own writes). */
  sockets(): Corkable[];
  /** A new connection like this one, for subscribing; the caller closes it. */
  subscriber(): Subscriber;
  /**
   * On a Cluster, the address of the master that serves `key` now, as the client's slot table
   * says (undefined before the client knows it); undefined when standalone. One circuit breaker
   * is kept per address, so a dead master stops caching only on its own slots.
   */
  nodeOf(key: string): string | undefined;
  /** On a Cluster, the addresses of the masters serving slots now; empty when standalone. */
  servingNodes(): Set<string>;
  /** Whether `signal` is honoured (a client with an offline queue that can drop a command). */
  readonly abortsUnsent: boolean;
  /**
   * The hit's GET as a command that is its own deadline waiter, saving a wrapper promise per hit
   * (ioredis only, see `ioredis-direct-get.ts`); undefined where the client cannot.
   */
  readonly directGet: DirectGet | undefined;
}

/**
 * Sends a GET whose command object is its own deadline waiter; rejections go to `onRejected`.
 * Returns undefined (nothing sent) when it cannot now: the caller sends the ordinary way.
 */
export type DirectGet = (
  key: string,
  onRejected: (error: Error) => void,
) =>
  | { readonly isResolved: boolean; reject(error: Error): void; readonly promise: Promise<unknown> }
  | undefined;
