import Redis, { Cluster } from 'ioredis';
import { CacheAsideManager } from '../lib/index';
import { nowMs, sleep } from './clock';
import type {
  AckRecord,
  FromWorker,
  ReadRecord,
  ToWorker,
  WorkerFinal,
  WorkerSetup,
  WriteKind,
} from './messages';
import { Random } from './random';

/**
 * One soak worker process: its own ioredis client (through its own fault relays), its own
 * CacheAsideManager, and mixed traffic on a bounded key set until told to stop. Loads and writes
 * go to the orchestrator's database over IPC; every read and every acknowledged write is
 * reported there for the oracle. Nothing here decides pass or fail.
 */

/** Concurrent traffic loops per process, and the pause after each operation (keeps CPU sane). */
const LOOPS = 4;
const PAUSE_MS: [number, number] = [5, 15];
/** Upper bounds, so nothing here can run or wait forever. */
const MAX_OPS_PER_LOOP = 1_000_000;
const IPC_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 15_000;

const send = (message: FromWorker): void => {
  process.send?.(message);
};

let pendingId = 0;
const pending = new Map<number, (value: number[] | null) => void>();

/** Sends a request and waits (bounded) for the orchestrator's answer with the same id. */
function request(make: (id: number) => FromWorker): Promise<number[] | null> {
  const id = ++pendingId;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(
        new Error(`[cache-aside soak] the orchestrator did not answer within ${IPC_TIMEOUT_MS} ms`),
      );
    }, IPC_TIMEOUT_MS);
    pending.set(id, (value) => {
      clearTimeout(timer);
      resolve(value);
    });
    send(make(id));
  });
}

async function loadVersions(keys: string[]): Promise<number[]> {
  const versions = await request((id) => ({ type: 'load', id, keys }));
  if (!versions) throw new Error('[cache-aside soak] the database answered no versions');
  return versions;
}

const stats: WorkerFinal = {
  heapStartBytes: 0,
  heapEndBytes: 0,
  operations: 0,
  failedCalls: 0,
  failures: [],
  unhandled: [],
  errorEvents: {},
};
let reads: ReadRecord[] = [];
let stopping = false;

function fail(what: string, error: unknown): void {
  stats.failedCalls++;
  if (stats.failures.length < 10)
    stats.failures.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
}

function heapNow(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

function createClient(setup: WorkerSetup): Redis | Cluster {
  const retryStrategy = (times: number): number => Math.min(times * 50, 500);
  if (setup.clusterNatMap) {
    const natMap = Object.fromEntries(
      Object.entries(setup.clusterNatMap).map(([real, port]) => [
        real,
        { host: '127.0.0.1', port },
      ]),
    );
    const seeds = Object.values(setup.clusterNatMap).map((port) => ({ host: '127.0.0.1', port }));
    const cluster = new Cluster(seeds.slice(0, 1), {
      natMap,
      clusterRetryStrategy: retryStrategy,
      redisOptions: { maxRetriesPerRequest: 1, connectTimeout: 1000 },
    });
    cluster.on('error', () => undefined);
    return cluster;
  }
  const client = new Redis({
    host: '127.0.0.1',
    port: setup.standalonePort,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    retryStrategy,
  });
  client.on('error', () => undefined);
  return client;
}

class Traffic {
  private readonly random: Random;
  private readonly keys: string[][];

  constructor(
    private readonly setup: WorkerSetup,
    private readonly cache: CacheAsideManager,
    seed: number,
  ) {
    this.random = new Random(seed);
    this.keys = Array.from({ length: setup.groups }, (_, g) =>
      Array.from({ length: setup.keysPerGroup }, (_, k) => `g${g}:k${k}`),
    );
  }

  async loop(): Promise<void> {
    for (let n = 0; n < MAX_OPS_PER_LOOP && !stopping; n++) {
      await this.step();
      stats.operations++;
      await sleep(this.random.int(PAUSE_MS[0], PAUSE_MS[1]));
    }
  }

  async burst(key: string, callers: number): Promise<void> {
    await Promise.all(Array.from({ length: callers }, () => this.get(key, [])));
  }

  private async step(): Promise<void> {
    const group = this.random.int(0, this.setup.groups - 1);
    const keys = this.keys[group] ?? [];
    const key = this.random.pick(keys);
    const roll = this.random.next();
    // Writes are rare per key (a few per minute): a wrong value left behind by a fault outlives
    // the window W instead of being overwritten by the next write by chance.
    if (roll < 0.75) return this.get(key, [tagOf(group)]);
    if (roll < 0.95) {
      const some = keys.filter(() => this.random.next() < 0.2);
      return this.getMany(some.length > 0 ? some : [key], [tagOf(group)]);
    }
    if (roll < 0.975) return this.write('invalidate', [key], group);
    if (roll < 0.996) return this.write('set', [key], group);
    if (roll < 0.998) return this.write('tags', keys, group);
    return this.write('pattern', keys, group);
  }

  private async get(key: string, tags: string[]): Promise<void> {
    const start = nowMs();
    let loaderAt: number | undefined;
    try {
      const value = await this.cache.get<unknown>(
        key,
        async (k) => {
          loaderAt ??= nowMs();
          return (await loadVersions([k]))[0];
        },
        tags.length > 0 ? { tags } : undefined,
      );
      reads.push({
        op: 'get',
        worker: this.setup.index,
        key,
        start,
        end: nowMs(),
        version: versionOf(value),
        ...(loaderAt === undefined ? {} : { loaderAt }),
      });
    } catch (error) {
      fail(`get`, error);
    }
  }

  private async getMany(keys: string[], tags: string[]): Promise<void> {
    const start = nowMs();
    try {
      const values = await this.cache.getMany<unknown>(keys, (missing) => loadVersions(missing), {
        tags,
      });
      const end = nowMs();
      keys.forEach((key, i) =>
        reads.push({
          op: 'getMany',
          worker: this.setup.index,
          key,
          start,
          end,
          version: versionOf(values[i]),
        }),
      );
    } catch (error) {
      fail(`getMany`, error);
    }
  }

  /** Database first, then the cache; acknowledged when the cache operation's promise resolved. */
  private async write(kind: WriteKind, keys: string[], group: number): Promise<void> {
    let versions: number[] | null;
    try {
      versions = await request((id) => ({ type: 'write-begin', id, keys }));
    } catch (error) {
      fail('write-begin', error);
      return;
    }
    if (!versions) return this.get(keys[0] ?? '', [tagOf(group)]);
    const acks: AckRecord[] = [];
    try {
      switch (kind) {
        case 'invalidate':
          await this.cache.invalidate(keys);
          break;
        case 'set':
          await this.cache.set(keys[0] ?? '', versions[0], { tags: [tagOf(group)] });
          break;
        case 'tags':
          await this.cache.invalidateTags([tagOf(group)]);
          break;
        case 'pattern':
          await this.cache.invalidatePattern(`g${group}:*`);
          break;
      }
      const ackAt = nowMs();
      keys.forEach((key, i) =>
        acks.push({ worker: this.setup.index, key, version: versions[i] ?? 0, ackAt, kind }),
      );
    } catch (error) {
      fail(kind, error);
    } finally {
      send({ type: 'write-end', keys, acks });
    }
  }
}

function tagOf(group: number): string {
  return `t${group}`;
}

/** The version a cached value carries; a value of the wrong shape is reported as a failure. */
function versionOf(value: unknown): number {
  if (typeof value !== 'number')
    throw new Error(`[cache-aside soak] a read answered a non-version`);
  return value;
}

function main(): void {
  let traffic: Traffic | undefined;
  let cache: CacheAsideManager | undefined;
  let client: Redis | Cluster | undefined;
  const loops: Promise<void>[] = [];
  const bursts = new Set<Promise<void>>();

  process.on('unhandledRejection', (reason) => {
    const what = `unhandled rejection: ${reason instanceof Error ? reason.message : String(reason)}`;
    stats.unhandled.push(what);
    send({ type: 'unhandled', what });
  });
  process.on('uncaughtException', (error) => {
    send({ type: 'unhandled', what: `uncaught exception: ${error.message}` });
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 100);
  });
  process.on('disconnect', () => {
    // The orchestrator is gone: nothing left to report to.
    process.exit(2);
  });

  const flush = setInterval(() => {
    if (reads.length === 0) return;
    send({ type: 'reads', reads });
    reads = [];
  }, 250);

  process.on('message', (message: ToWorker) => {
    switch (message.type) {
      case 'setup': {
        const { setup } = message;
        client = createClient(setup);
        client.on('ready', () => {
          send({ type: 'client-ready', at: nowMs() });
        });
        cache = new CacheAsideManager({
          redis: client,
          keyPrefix: setup.keyPrefix,
          defaultTtl: 30,
        });
        cache.on('error', (error) => {
          stats.errorEvents[error.code] = (stats.errorEvents[error.code] ?? 0) + 1;
        });
        traffic = new Traffic(setup, cache, setup.seed);
        stats.heapStartBytes = heapNow();
        send({ type: 'ready' });
        break;
      }
      case 'start':
        for (let i = 0; i < LOOPS; i++) if (traffic) loops.push(traffic.loop());
        break;
      case 'burst': {
        if (!traffic || stopping) break;
        const burst = traffic.burst(message.key, message.callers);
        bursts.add(burst);
        void burst.finally(() => bursts.delete(burst));
        break;
      }
      case 'loaded':
      case 'write-granted': {
        const resolve = pending.get(message.id);
        pending.delete(message.id);
        resolve?.(message.type === 'loaded' ? message.versions : message.versions);
        break;
      }
      case 'stop':
        stopping = true;
        void (async () => {
          const bounded = sleep(STOP_TIMEOUT_MS).then(() => {
            fail('stop', new Error(`traffic did not wind down within ${STOP_TIMEOUT_MS} ms`));
          });
          await Promise.race([Promise.all([...loops, ...bursts]), bounded]);
          await Promise.race([cache?.close(), sleep(STOP_TIMEOUT_MS)]);
          clearInterval(flush);
          if (reads.length > 0) send({ type: 'reads', reads });
          reads = [];
          stats.heapEndBytes = heapNow();
          client?.disconnect();
          process.send?.({ type: 'final', final: stats } satisfies FromWorker, () => {
            process.exit(0);
          });
        })();
        break;
    }
  });
}

main();
