import { spawnSync } from 'node:child_process';
import { startRedisServer, type RedisServer } from '../spec/support/redis-server';
import { tryAdminCommand } from './admin';
import { sleep } from './clock';
import { startFaultRelay, type FaultRelay } from './fault-relay';

/**
 * The Redis the soak runs against — one standalone redis-server, or a Cluster of 3 masters with
 * one replica each — and one fault relay per (worker, node), so a fault can hit one process's
 * connections or all of them.
 */
export interface Topology {
  readonly cluster: boolean;
  readonly nodes: readonly RedisServer[];
  /** relays[worker][node] */
  readonly relays: readonly (readonly FaultRelay[])[];
  stop(): Promise<void>;
}

const CLUSTER_ARGS = [
  '--cluster-enabled',
  'yes',
  '--cluster-config-file',
  'nodes.conf',
  '--cluster-node-timeout',
  '2000',
  // Without this a replica is still waiting for its first sync when its master is killed.
  '--repl-diskless-sync-delay',
  '0',
];

export async function startTopology(cluster: boolean, workers: number): Promise<Topology> {
  const nodes: RedisServer[] = [];
  const relays: FaultRelay[][] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(relays.flat().map((r) => r.close()));
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    if (cluster) {
      for (let i = 0; i < 6; i++) nodes.push(await startRedisServer({ args: CLUSTER_ARGS }));
      await createCluster(nodes);
    } else {
      nodes.push(await startRedisServer());
    }
    for (let w = 0; w < workers; w++)
      relays.push(await Promise.all(nodes.map((n) => startFaultRelay(n.port))));
  } catch (error) {
    await stop();
    throw error;
  }
  return { cluster, nodes, relays, stop };
}

async function createCluster(nodes: readonly RedisServer[]): Promise<void> {
  const create = spawnSync(
    'redis-cli',
    [
      '--cluster',
      'create',
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (create.status !== 0)
    throw new Error(`[cache-aside soak] redis-cli --cluster create failed: ${create.stdout}`);
  if (!(await waitForCluster(nodes, 30_000)))
    throw new Error('[cache-aside soak] the Cluster did not become ok with synced replicas');
}

/**
 * True once every live node says cluster_state:ok and every replica's link to its master is up
 * (polled, bounded by `timeoutMs`).
 */
export async function waitForCluster(
  nodes: readonly RedisServer[],
  timeoutMs: number,
  skipPort?: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const live = nodes.filter((n) => n.port !== skipPort);
    const states = await Promise.all(
      live.map(async (n) => {
        const info = await tryAdminCommand(n.port, 'CLUSTER', 'INFO');
        const replication = await tryAdminCommand(n.port, 'INFO', 'replication');
        if (typeof info !== 'string' || typeof replication !== 'string') return false;
        const synced =
          !replication.includes('role:slave') || replication.includes('master_link_status:up');
        return info.includes('cluster_state:ok') && synced;
      }),
    );
    if (states.every(Boolean)) return true;
    await sleep(200);
  }
  return false;
}

/** Ports of the nodes that serve slots as masters right now. */
export async function masterPorts(nodes: readonly RedisServer[]): Promise<number[]> {
  for (const node of nodes) {
    const text = await tryAdminCommand(node.port, 'CLUSTER', 'NODES');
    if (typeof text !== 'string') continue;
    return text
      .split('\n')
      .filter((line) => line.includes('master') && !line.includes('fail') && /\d+-\d+/.test(line))
      .map((line) => Number(/:(\d+)@/.exec(line)?.[1]))
      .filter((port) => nodes.some((n) => n.port === port));
  }
  return [];
}
