import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
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
import { directGetFor } from './ioredis-direct-get';

/**
 * The ioredis family: ioredis 5 and 6 `Redis` and `Cluster` (Sentinel-configured clients are
 * `Redis`), and iovalkey, which keeps ioredis's API and behaviour (the integration suite runs on
 * each). Only types come from 'ioredis': nothing is imported at run time, so a user of another
 * client installs no ioredis.
 */
export type IoRedisFamilyClient = Redis | Cluster;

/** Recognised by shape: the `...Buffer` commands are ioredis's own. */
export function isIoRedisFamily(value: object): value is IoRedisFamilyClient {
  const candidate = value as Partial<Redis>;
  return typeof candidate.getBuffer === 'function' && typeof candidate.set === 'function';
}

export function isIoRedisCluster(client: IoRedisFamilyClient): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}

/**
 * ioredis applies a client-level `keyPrefix` to commands but not to SCAN patterns, so pattern
 * invalidation would silently miss every key: such a client is refused at construction.
 */
export function ioredisKeyPrefixOf(client: IoRedisFamilyClient): string | undefined {
  const options = (
    client as { options?: { keyPrefix?: string; redisOptions?: { keyPrefix?: string } } }
  ).options;
  return options?.keyPrefix || options?.redisOptions?.keyPrefix || undefined;
}

export class IoRedisConnection implements ClientConnection {
  readonly family = 'ioredis';
  readonly isCluster: boolean;
  /** ioredis's offline queue cannot drop one command; the runner sends writes only when ready. */
  readonly abortsUnsent = false;
  readonly directGet;

  constructor(readonly client: IoRedisFamilyClient) {
    this.isCluster = isIoRedisCluster(client);
    this.directGet = directGetFor(client, () => commandClassOf(client), false);
  }

  nodeOf(key: string): string | undefined {
    if (!this.isCluster) return undefined;
    // ioredis keeps, per slot, the node keys ("host:port") serving it, the master first.
    const slots = (this.client as { slots?: ReadonlyArray<readonly string[] | undefined> }).slots;
    return slots?.[calculateSlot(key)]?.[0];
  }

  servingNodes(): Set<string> {
    const slots = (this.client as { slots?: ReadonlyArray<readonly string[] | undefined> }).slots;
    const nodes = new Set<string>();
    if (this.isCluster && slots !== undefined)
      for (const owners of slots) if (owners?.[0] !== undefined) nodes.add(owners[0]);
    return nodes;
  }

  state(): ConnectionState {
    switch (this.client.status as string | undefined) {
      case 'ready':
      case undefined: // a stand-in without a status (ioredis-mock)
        return 'ready';
      case 'wait':
        return 'lazy';
      case 'connecting':
      case 'connect':
        return 'connecting';
      default:
        return 'down';
    }
  }

  describeState(): string {
    return `status "${this.client.status}"`;
  }

  onReady(listener: () => void): () => void {
    this.client.on('ready', listener);
    return () => this.client.off('ready', listener);
  }

  connect(): void {
    this.client.connect().catch(() => undefined); // reported through the commands that wait for it
  }

  /** Nothing to remove: the gateway's listeners are removed by their own handles. */
  detach(): void {}

  isReplyError(error: unknown): boolean {
    return isReplyError(error);
  }

  get(key: string): Promise<Buffer | null> {
    return this.client.getBuffer(key);
  }

  getOrLease(key: string, marker: string, px: number): Promise<Buffer | null> {
    return this.client.setBuffer(key, marker, 'PX', px, 'NX', 'GET');
  }

  mget(keys: readonly string[]): Promise<Array<Buffer | null>> {
    return this.client.mgetBuffer(...keys);
  }

  getString(key: string): Promise<string | null> {
    return this.client.get(key);
  }

  async set(key: string, value: Buffer | string, px: number, nx: boolean): Promise<boolean> {
    const c = this.client;
    let reply: string | null;
    if (px > 0)
      reply = nx ? await c.set(key, value, 'PX', px, 'NX') : await c.set(key, value, 'PX', px);
    else reply = nx ? await c.set(key, value, 'NX') : await c.set(key, value);
    return reply === 'OK';
  }

  unlink(keys: readonly string[]): Promise<number> {
    return this.client.unlink(...keys);
  }

  pttl(key: string): Promise<number> {
    return this.client.pttl(key);
  }

  getRange(key: string, start: number, end: number): Promise<Buffer> {
    return this.client.getrangeBuffer(key, start, end);
  }

  pexpire(key: string, px: number): Promise<number> {
    return this.client.pexpire(key, px);
  }

  persist(key: string): Promise<number> {
    return this.client.persist(key);
  }

  exists(key: string): Promise<number> {
    return this.client.exists(key);
  }

  publish(channel: string, message: string): Promise<number> {
    return this.client.publish(channel, message);
  }

  evalSha(script: LuaScript, key: string, args: readonly ScriptArgument[]): Promise<unknown> {
    return this.client.evalsha(script.sha1, 1, key, ...args);
  }

  evalSource(script: LuaScript, key: string, args: readonly ScriptArgument[]): Promise<unknown> {
    return this.client.eval(script.source, 1, key, ...args);
  }

  masters(): Promise<ScanNode[]> {
    const cluster = this.isCluster;
    const nodes = cluster ? (this.client as Cluster).nodes('master') : [this.client as Redis];
    if (cluster && !coversEverySlot(this.client as Cluster, nodes)) {
      // A master died and ioredis dropped it before its replica took over: a scan of the others
      // would miss the entries the replica brings back. Fail, so the invalidation is queued.
      return Promise.reject(
        new Error(
          '[cache-aside] some Cluster slots have no reachable master (failover under way?)',
        ),
      );
    }
    const scanNodes: ScanNode[] = nodes.map((node) => ({
      scan: (cursor, match, count) => node.scan(cursor, 'MATCH', match, 'COUNT', count),
      unlink: async (keys) => {
        if (!cluster) return node.unlink(...keys);
        // Keys of one node may span slots: one UNLINK each, in one pipeline.
        const pipeline = node.pipeline();
        for (const key of keys) pipeline.unlink(key);
        let removed = 0;
        for (const [error, count] of (await pipeline.exec()) ?? []) {
          if (error) throw error;
          removed += count as number;
        }
        return removed;
      },
    }));
    return Promise.resolve(scanNodes);
  }

  /** The sockets of the moment: ioredis makes new ones on every reconnect. */
  sockets(): Corkable[] {
    const client = this.client;
    const candidates: Array<Partial<Corkable> | undefined> = this.isCluster
      ? (client as Cluster).nodes('all').map((node) => node.stream)
      : [(client as { stream?: Partial<Corkable> }).stream];
    return candidates.filter(isCorkable);
  }

  subscriber(): Subscriber {
    const connection = this.client.duplicate();
    const handlers = new Map<string, (message: string) => void>();
    connection.on('error', () => undefined); // reported through the gateway's commands instead
    connection.on('message', (channel: string, text: string) => {
      handlers.get(channel)?.(text);
    });
    const subscriber: Subscriber & { readonly connection: IoRedisFamilyClient } = {
      /** The duplicate itself (specs reach it to silence a subscription behind the bus's back). */
      connection,
      subscribe: async (channel, onMessage) => {
        handlers.set(channel, onMessage);
        await connection.subscribe(channel);
      },
      onStateChange: (listener) => {
        connection.on('ready', () => {
          listener(true);
        });
        connection.on('close', () => {
          listener(false);
        });
      },
      close: () => {
        connection.disconnect();
      },
    };
    return subscriber;
  }
}

/** The packages of the ioredis family whose `Command` a direct GET may use. */
const FAMILY_PACKAGES = ['ioredis', 'iovalkey'] as const;

/**
 * The `Command` class of the package that made `client`, if that package is one of the family
 * and is installed: required only now, when a client of it was given (so it is installed), and
 * only if the client is an instance of that very copy's classes (another copy or major of the
 * package would build commands its client does not expect; such a client takes the wrapped path).
 */
function commandClassOf(client: object): unknown {
  for (const name of FAMILY_PACKAGES) {
    let exported: { Redis?: unknown; Cluster?: unknown; Command?: unknown } | undefined;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: only a user of this client has it installed
      exported = require(name) as typeof exported;
    } catch {
      continue; // not installed: the client came from the other package
    }
    const made = [exported?.Redis, exported?.Cluster].some(
      (cls) => typeof cls === 'function' && client instanceof cls,
    );
    if (made) return exported?.Command;
  }
  return undefined;
}

function isCorkable(socket: Partial<Corkable> | undefined): socket is Corkable {
  return (
    socket !== undefined && typeof socket.cork === 'function' && typeof socket.uncork === 'function'
  );
}

/** True when every slot's master (as ioredis last learnt the slots) is one of `masters`. */
function coversEverySlot(cluster: Cluster, masters: readonly Redis[]): boolean {
  const reachable = new Set(masters.map(({ options }) => `${options.host}:${options.port}`));
  // Typed as complete, but a slot no node serves (yet) has no entry.
  const slots = cluster.slots as Array<readonly string[] | undefined>;
  for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
    const owner = slots[slot]?.[0];
    if (owner === undefined || !reachable.has(owner)) return false;
  }
  return true;
}

const CLUSTER_SLOTS = 16384;
