import Redis, { Cluster } from 'ioredis';
import Redis6 from 'ioredis6';
import Valkey, { Cluster as ValkeyCluster } from 'iovalkey';
import { createClient, createCluster } from 'redis';
import { MemoryStore, type RedisClient } from '../../lib';
import { clusterCredentials } from './test-redis';

/** A client of one family, and how to let it go (the manager never closes the user's client). */
export interface TestClient {
  client: RedisClient;
  close(): Promise<void>;
}

/** One client family the integration suite runs on. */
export interface ClientFamily {
  readonly name: string;
  /** A client of a standalone server, ready to use. */
  standalone(url: string): Promise<TestClient>;
  /** A client of the Cluster of three, ready (undefined: the family has no Cluster). */
  cluster?(nodes: ReadonlyArray<{ host: string; port: number }>): Promise<TestClient>;
}

/** Capped reconnects, as the README recommends for every client. */
const backoff = (attempt: number): number => Math.min(attempt * 50, 500);

function waitReady(client: {
  status: string;
  once(e: string, f: () => void): unknown;
}): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('client not ready within 5 s')), 5000);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

type IoRedisLike = typeof Redis | typeof Redis6 | typeof Valkey;
type IoClusterLike = typeof Cluster | typeof ValkeyCluster;

function ioredisFamily(
  name: string,
  Client: IoRedisLike,
  ClusterClient?: IoClusterLike,
): ClientFamily {
  return {
    name,
    async standalone(url) {
      const client = new (Client as typeof Redis)(url, {
        maxRetriesPerRequest: 1,
        retryStrategy: backoff,
      });
      client.on('error', () => undefined);
      await waitReady(client);
      return {
        client,
        close: async () => {
          client.disconnect();
        },
      };
    },
    cluster:
      ClusterClient &&
      (async (nodes) => {
        const client = new (ClusterClient as typeof Cluster)([...nodes], {
          redisOptions: { maxRetriesPerRequest: 1, ...clusterCredentials() },
        });
        client.on('error', () => undefined);
        await waitReady(client);
        return {
          client,
          close: async () => {
            client.disconnect();
          },
        };
      }),
  };
}

export const IOREDIS5 = ioredisFamily('ioredis 5', Redis, Cluster);
export const IOREDIS6 = ioredisFamily(
  'ioredis 6',
  Redis6,
  Redis6.Cluster as unknown as IoClusterLike,
);
export const IOVALKEY = ioredisFamily('iovalkey', Valkey, ValkeyCluster);

export const NODE_REDIS: ClientFamily = {
  name: 'node-redis 5',
  async standalone(url) {
    const client = createClient({ url, socket: { reconnectStrategy: backoff } });
    client.on('error', () => undefined);
    await client.connect();
    return {
      client,
      close: async () => {
        client.destroy();
      },
    };
  },
  async cluster(nodes) {
    const client = createCluster({
      rootNodes: nodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
      defaults: clusterCredentials(),
    });
    client.on('error', () => undefined);
    await client.connect();
    return {
      client,
      close: async () => {
        client.destroy();
      },
    };
  },
};

export const MEMORY: ClientFamily = {
  name: 'memory store',
  async standalone() {
    const client = new MemoryStore();
    return {
      client,
      close: async () => {
        client.close();
      },
    };
  },
};

const ALL_FAMILIES: Readonly<Record<string, ClientFamily>> = {
  ioredis: IOREDIS5,
  ioredis6: IOREDIS6,
  iovalkey: IOVALKEY,
  'node-redis': NODE_REDIS,
  memory: MEMORY,
};

/** The family CACHE_ASIDE_TEST_CLIENT names; undefined when it names none. */
function chosenFamily(): ClientFamily | undefined {
  const chosen = process.env.CACHE_ASIDE_TEST_CLIENT;
  if (chosen === undefined || chosen === '') return undefined;
  const family = ALL_FAMILIES[chosen] as ClientFamily | undefined;
  if (family === undefined) throw new Error(`CACHE_ASIDE_TEST_CLIENT: unknown client "${chosen}"`);
  return family;
}

/**
 * The families a run covers: all of them, or the one CACHE_ASIDE_TEST_CLIENT names
 * (`ioredis`, `ioredis6`, `iovalkey`, `node-redis`, `memory`).
 */
export function familiesUnderTest(): ClientFamily[] {
  const family = chosenFamily();
  return family === undefined ? Object.values(ALL_FAMILIES) : [family];
}

/**
 * The one family a shared spec (manager, decorators) runs on: the one CACHE_ASIDE_TEST_CLIENT
 * names (each `integration:<client>` project sets it), ioredis 5 in the `integration` project.
 */
export function familyUnderTest(): ClientFamily {
  return chosenFamily() ?? IOREDIS5;
}

/** The Cluster of three of the global setup. */
export function clusterNodes(): Array<{ host: string; port: number }> {
  return (process.env.CACHE_ASIDE_TEST_CLUSTER ?? '')
    .split(',')
    .filter(Boolean)
    .map((hostPort) => {
      const [host, port] = hostPort.split(':');
      return { host, port: Number(port) };
    });
}

/** ACL WHOAMI through a client's own generic command call (ioredis family or node-redis). */
export async function whoAmI(client: RedisClient): Promise<string> {
  const any = client as unknown as {
    call?: (...args: string[]) => Promise<unknown>;
    masters?: unknown;
    sendCommand: (...args: unknown[]) => Promise<unknown>;
  };
  if (typeof any.call === 'function') return String(await any.call('ACL', 'WHOAMI'));
  if (any.masters !== undefined)
    return String(await any.sendCommand(undefined, true, ['ACL', 'WHOAMI']));
  return String(await any.sendCommand(['ACL', 'WHOAMI']));
}
