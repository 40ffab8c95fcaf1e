import type { Cluster, Redis } from 'ioredis';
import { MemoryStore } from '../../lib';
import { clusterNodes, familyUnderTest, type TestClient } from './client-families';
import { newClusterClient, newTestClient, ready, testRedisUrl } from './test-redis';

/**
 * What a spec reads and plants behind the manager's back, whichever client family the manager
 * is given: a plain ioredis connection to the same server (or Cluster), or the memory store
 * itself. The client under test is never used for this, so a spec asserts on what the server
 * holds, not on what the client under test believes.
 */
export interface AdminClient {
  pttl(key: string): Promise<number>;
  exists(key: string): Promise<number>;
  getBuffer(key: string): Promise<Buffer | null>;
  /** Plants bytes (or text) at `key`, without expiry. */
  set(key: string, value: Buffer | string): Promise<void>;
  /** Every key matching a glob, on every master. */
  keys(match: string): Promise<string[]>;
  /** The plain ioredis connection, for what only a server has (hashes, TYPE); none on the memory store. */
  readonly server: Redis | Cluster | undefined;
  close(): Promise<void>;
}

/** An admin of the store `under` talks to: the memory store itself, else a plain ioredis to `url`. */
export async function adminFor(under: TestClient, url: string): Promise<AdminClient> {
  if (under.client instanceof MemoryStore) return memoryAdmin(under.client);
  const server = newTestClient(url);
  await ready(server);
  return serverAdmin(server, [server]);
}

/**
 * The jest project's client under test on the global setup's standalone server (or the memory
 * store), and an admin beside it: opened before the suite's cases, closed after them.
 */
export function standaloneUnderTest(): { readonly under: TestClient; readonly admin: AdminClient } {
  const opened: { under?: TestClient; admin?: AdminClient } = {};
  beforeAll(async () => {
    const url = familyUnderTest().name === 'memory store' ? '' : testRedisUrl();
    opened.under = await familyUnderTest().standalone(url);
    opened.admin = await adminFor(opened.under, url);
  });
  afterAll(async () => {
    await opened.admin?.close();
    await opened.under?.close();
  });
  return {
    get under() {
      if (!opened.under) throw new Error('standaloneUnderTest(): read inside a case or hook');
      return opened.under;
    },
    get admin() {
      if (!opened.admin) throw new Error('standaloneUnderTest(): read inside a case or hook');
      return opened.admin;
    },
  };
}

/** A topology of the global setup, named, with the client under test and an admin beside it. */
export type Topology = [name: string, connect: () => Promise<[TestClient, AdminClient]>];

/**
 * The topologies a suite runs on for the jest project's client family: the standalone server of
 * the global setup, and its Cluster when the family has a Cluster client.
 */
export function topologiesUnderTest(): Topology[] {
  const family = familyUnderTest();
  const clusterOf = family.cluster?.bind(family);
  const topologies: Topology[] = [
    [
      `standalone Redis (${family.name})`,
      async () => {
        const under = await family.standalone(testRedisUrl());
        return [under, await adminFor(under, testRedisUrl())];
      },
    ],
  ];
  if (clusterOf !== undefined)
    topologies.push([
      `Redis Cluster (${family.name})`,
      async () => [await clusterOf(clusterNodes()), await clusterAdmin()],
    ]);
  return topologies;
}

/** An admin of the Cluster of the global setup (a plain ioredis Cluster client). */
export async function clusterAdmin(): Promise<AdminClient> {
  const cluster = newClusterClient();
  await ready(cluster, 10_000);
  return serverAdmin(cluster, () => cluster.nodes('master'));
}

function serverAdmin(server: Redis | Cluster, masters: Redis[] | (() => Redis[])): AdminClient {
  return {
    server,
    pttl: (key) => server.pttl(key),
    exists: (key) => server.exists(key),
    getBuffer: (key) => server.getBuffer(key),
    set: async (key, value) => {
      await server.set(key, value);
    },
    keys: async (match) => {
      const found: string[] = [];
      for (const node of typeof masters === 'function' ? masters() : masters) {
        let cursor = '0';
        // Bounded: a SCAN of a test server ends within a few steps of COUNT 500.
        for (let step = 0; step < 10_000; step++) {
          const [next, batch] = await node.scan(cursor, 'MATCH', match, 'COUNT', 500);
          found.push(...batch);
          cursor = next;
          if (cursor === '0') break;
        }
      }
      return found;
    },
    close: async () => {
      server.disconnect();
    },
  };
}

function memoryAdmin(store: MemoryStore): AdminClient {
  return {
    server: undefined,
    pttl: async (key) => store.pttl(key),
    exists: async (key) => (store.get(key) === null ? 0 : 1),
    getBuffer: async (key) => store.get(key),
    set: async (key, value) => {
      store.set(key, value);
    },
    keys: async (match) => store.keysMatching(match),
    close: async () => undefined,
  };
}
