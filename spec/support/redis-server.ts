import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aclPassword, aclUserArgs, runUser } from './acl-users';

/**
 * Disposable redis-server processes for the tests: each on a free loopback port, in its own temp
 * dir, persisting nothing, stopped by PID. Tests never touch a server they did not start (unless
 * REDIS_URL says so). In the integration:acl projects each also has the run's ACL user, whom its
 * `url` logs in as; `adminUrl` and `cli()` stay the default user's.
 */
export interface RedisServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /**
   * What the library's clients connect with: in the integration:acl projects it logs in as the
   * run's ACL user (spec/support/acl-users.ts), which the server was started with.
   */
  readonly url: string;
  /**
   * As the default (unrestricted) user: for what a spec does behind the library's back as an
   * operator would (DEBUG, CLIENT PAUSE, CONFIG SET, planting bytes). `cli()` runs as it too.
   */
  readonly adminUrl: string;
  /** The user `url` logs in as; undefined: the default user. */
  readonly user: string | undefined;
  readonly pid: number;
  /** Stops the process (SIGTERM, then SIGKILL) and removes its directory. */
  stop(): Promise<void>;
  /** Kills the process at once, leaving the port free for `restart`. */
  kill(): Promise<void>;
  /** Starts a new process on the same port with the same arguments. */
  restart(): Promise<void>;
  /** SIGSTOP: the server keeps its connections but answers nothing (a hung server). */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  /** Runs a command through redis-cli against this server, as the default user (setup, faults). */
  cli(...args: string[]): string;
}

export interface RedisServerOptions {
  port?: number;
  /** A config file to start from (Sentinel needs one it can rewrite); placed first, as redis-server wants. */
  configFile?: string;
  /** Extra redis-server arguments, e.g. ['--maxmemory', '2mb']. */
  args?: readonly string[];
  /**
   * ACL users to create at start (names of ACL_USERS), beside the default user. `url` logs in
   * as the run's user when it is among them.
   * @default the run's user (integration:acl projects), else none
   */
  aclUsers?: readonly string[];
}

const READY_TIMEOUT_MS = 10_000;

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), `cache-aside-redis-${port}-`));
  const run = runUser();
  const aclUsers = options.aclUsers ?? (run === undefined ? [] : [run]);
  const user = run !== undefined && aclUsers.includes(run) ? run : undefined;
  const adminUrl = `redis://127.0.0.1:${port}`;
  const args = [
    ...(options.configFile ? [options.configFile] : []),
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    ...(options.configFile ? [] : ['--save', '', '--appendonly', 'no']),
    '--dir',
    dir,
    ...(options.configFile ? [] : ['--enable-debug-command', 'local']),
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
    ...(options.args ?? []),
    // Arguments, not ACL SETUSER: a restart (same arguments) has the users again.
    ...aclUserArgs(aclUsers),
  ];
  let child = await launch(args, port);

  const stopChild = async (signal: NodeJS.Signals): Promise<void> => {
    const current = child;
    if (current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    process.kill(current.pid as number, 'SIGCONT');
    process.kill(current.pid as number, signal);
    const timer = setTimeout(() => current.exitCode === null && current.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };

  return {
    host: '127.0.0.1',
    port,
    url: user === undefined ? adminUrl : `redis://${user}:${aclPassword(user)}@127.0.0.1:${port}`,
    adminUrl,
    user,
    get pid() {
      return child.pid as number;
    },
    async stop() {
      await stopChild('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      await stopChild('SIGKILL');
    },
    async restart() {
      await stopChild('SIGKILL');
      child = await launch(args, port);
    },
    pause() {
      process.kill(child.pid as number, 'SIGSTOP');
    },
    resume() {
      process.kill(child.pid as number, 'SIGCONT');
    },
    cli(...cliArgs: string[]) {
      const result = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...cliArgs], {
        encoding: 'utf8',
        timeout: 5000,
      });
      if (result.status !== 0)
        throw new Error(`redis-cli ${cliArgs.join(' ')} failed: ${result.stderr}`);
      return result.stdout.trim();
    },
  };
}

async function launch(args: readonly string[], port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`redis-server on port ${port} exited with ${code}: ${stderr}`)),
    );
  });
  failed.catch(() => undefined);
  await Promise.race([waitForPong(port), failed]);
  return child;
}

/** Polls with PING until the server answers, bounded by READY_TIMEOUT_MS. */
async function waitForPong(port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await pingOnce(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${READY_TIMEOUT_MS} ms`);
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}

/**
 * A master and one replica of it, resolved once the replica is in sync (`master_link_status:up`):
 * the master syncs without delay (`--repl-diskless-sync-delay 0`; Redis waits 5 s by default),
 * so a failover spec's writes reach the replica before it kills the master. Bounded: 10 s.
 */
export async function startRedisWithReplica(): Promise<{
  master: RedisServer;
  replica: RedisServer;
}> {
  const master = await startRedisServer({ args: ['--repl-diskless-sync-delay', '0'] });
  let replica: RedisServer | undefined;
  try {
    replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    const deadline = Date.now() + 10_000;
    while (!replica.cli('info', 'replication').includes('master_link_status:up')) {
      if (Date.now() > deadline) throw new Error('the test replica did not sync with its master');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { master, replica };
  } catch (error) {
    await Promise.all([master.stop(), replica?.stop()]);
    throw error;
  }
}

/**
 * A Sentinel watching `masterName` at `masterPort` (quorum 1, quick failure detection), with a
 * config file of its own in a temp dir (Sentinel rewrites it).
 */
export async function startRedisSentinel(
  masterPort: number,
  masterName = 'cache-aside',
): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'cache-aside-sentinel-'));
  const configFile = join(dir, 'sentinel.conf');
  writeFileSync(
    configFile,
    [
      `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${masterName} 1000`,
      `sentinel failover-timeout ${masterName} 5000`,
      `dir ${dir}`,
      '',
    ].join('\n'),
  );
  // No ACL user: the run's user (-@dangerous) may not send SENTINEL; clients ask the Sentinel as
  // the default user and log in to the master and replica (which have the user) as the run's.
  return startRedisServer({ configFile, args: ['--sentinel'], aclUsers: [] });
}

/** How a test Cluster is built. */
export interface RedisClusterOptions {
  /** Replicas per master (a failover needs at least one). @default 0 */
  replicas?: number;
  /** cluster-node-timeout: how long a silent master takes to be failed over. @default 2000 */
  nodeTimeoutMs?: number;
  /** Arguments for every node (`--cluster-require-full-coverage no`, say). */
  args?: readonly string[];
  /** ACL users on every node (each node has its own ACL). @default as startRedisServer's */
  aclUsers?: readonly string[];
}

/**
 * A Redis Cluster of `size` masters on loopback, each with `replicas` replicas in sync when it
 * resolves (`cli('role')` tells a master from a replica). With replicas, the nodes sync without
 * delay (`--repl-diskless-sync-delay 0`, or a replica is not synced yet when its master dies).
 */
export async function startRedisCluster(
  size = 3,
  { replicas = 0, nodeTimeoutMs = 2000, args = [], aclUsers }: RedisClusterOptions = {},
): Promise<RedisServer[]> {
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < size * (1 + replicas); i++) {
      nodes.push(
        await startRedisServer({
          aclUsers,
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-node-timeout',
            String(nodeTimeoutMs),
            ...(replicas > 0 ? ['--repl-diskless-sync-delay', '0'] : []),
            ...args,
          ],
        }),
      );
    }
    const create = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (create.status !== 0)
      throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    const deadline = Date.now() + 20_000;
    // Every node sees the cluster as ok, and every replica has synced with its master (a replica
    // can take over only once it has).
    const settled = (n: RedisServer): boolean =>
      n.cli('cluster', 'info').includes('cluster_state:ok') &&
      (replicas === 0 ||
        !/role:slave/.test(n.cli('info', 'replication')) ||
        n.cli('info', 'replication').includes('master_link_status:up'));
    while (!nodes.every(settled)) {
      if (Date.now() > deadline) throw new Error('the test cluster did not reach cluster_state:ok');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return nodes;
  } catch (error) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw error;
  }
}
