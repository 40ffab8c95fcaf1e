import {
  DEFAULT_COOLDOWN_MS,
  DEFAULT_INVALIDATION_RETRY_MS,
  DEFAULT_OPERATION_TIMEOUT_MS,
} from '../lib/index';
import { nowMs, sleep } from './clock';
import { VersionDatabase } from './database';
import { FaultInjector } from './fault-injector';
import type { WorkerSetup } from './messages';
import { parseSoakOptions, SOAK_USAGE } from './options';
import { Oracle } from './oracle';
import { Random } from './random';
import { renderReport, type BurstResult } from './report';
import { startTopology, type Topology } from './topology';
import { WorkerPool } from './worker-pool';

/**
 * `npm run soak`: the orchestrator. Starts Redis (standalone or a Cluster with replicas), one
 * fault relay per worker and node, the worker processes; runs traffic with faults injected at
 * random for `--seconds`, then a fault-free tail; asks the oracle; prints the summary; stops every
 * process and server it started, by PID, also on SIGINT and on failure. Exit code 1 when a must
 * is broken.
 */

/** The reconnect backoff cap the workers' clients use (the README's recommended retryStrategy). */
const CLIENT_RETRY_CAP_MS = 500;

/**
 * W: how long after a fault ends a stale read is still excused. A command in flight at the end
 * may run out its deadline (operationTimeout), the client reconnects within its backoff cap, an
 * open breaker waits its cool-down before probing, and a queued invalidation is replayed on
 * reconnect or at the next retry tick.
 */
const WINDOW_MS =
  DEFAULT_OPERATION_TIMEOUT_MS +
  CLIENT_RETRY_CAP_MS +
  DEFAULT_COOLDOWN_MS +
  DEFAULT_INVALIDATION_RETRY_MS;

/** 1,000 keys in 40 groups (a tag and a pattern each). */
const GROUPS = 40;
const KEYS_PER_GROUP = 25;
const BURST_CALLERS_PER_WORKER = 8;
const BURST_SETTLE_MS = 1000;
const STARTUP_TIMEOUT_MS = 60_000;
const FINISH_TIMEOUT_MS = 45_000;
/**
 * Past the traffic time, how long a run may take at most (start-up, a fault that waits for a
 * Cluster to recover twice, the tail, the workers' final reports, cleanup) before the watchdog
 * stops every process it started and exits 1: a soak in CI must never hang.
 */
const OVERRUN_MS = STARTUP_TIMEOUT_MS + 60_000 + FINISH_TIMEOUT_MS + 30_000;

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    print(SOAK_USAGE);
    return 0;
  }
  const options = parseSoakOptions(argv);
  // Separate streams, so the same seed injects the same faults whatever the bursts do.
  const faultRandom = new Random(options.seed);
  const burstRandom = new Random(options.seed ^ 0x5eed);
  const database = new VersionDatabase();
  const oracle = new Oracle(WINDOW_MS);
  const pool = new WorkerPool(database, oracle, print);
  let topology: Topology | undefined;
  let injector: FaultInjector | undefined;
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    injector?.stop();
    pool.killAll();
    await topology?.stop();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    print(`\n${signal}: stopping every worker and server`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const hardStopMs = options.seconds * 1000 + WINDOW_MS + OVERRUN_MS;
  const watchdog = setTimeout(() => {
    print(`[cache-aside soak] did not finish within ${hardStopMs / 1000} s: stopping everything`);
    void cleanup().finally(() => process.exit(1));
  }, hardStopMs);
  watchdog.unref();

  try {
    const mode = options.cluster ? 'Cluster (3 masters + 3 replicas)' : 'standalone redis-server';
    print(
      `soak: ${mode}, ${options.processes} processes, ${options.seconds} s, seed ${options.seed}, ` +
        `window W = ${WINDOW_MS} ms`,
    );
    topology = await startTopology(options.cluster, options.processes);
    const nodes = topology.nodes;
    const relays = topology.relays;
    const setups: WorkerSetup[] = Array.from({ length: options.processes }, (_, index) => {
      const mine = relays[index] ?? [];
      return {
        index,
        seed: options.seed * 31 + index + 1,
        keyPrefix: 'soak:',
        groups: GROUPS,
        keysPerGroup: KEYS_PER_GROUP,
        ...(options.cluster
          ? {
              clusterNatMap: Object.fromEntries(
                nodes.map((n, i) => [`127.0.0.1:${n.port}`, mine[i]?.port ?? 0]),
              ),
            }
          : { standalonePort: mine[0]?.port ?? 0 }),
      };
    });
    pool.spawn(setups);
    await pool.ready(STARTUP_TIMEOUT_MS);

    const origin = nowMs();
    pool.origin = origin;
    const until = origin + options.seconds * 1000;
    const faultInjector = new FaultInjector(topology, faultRandom, print, origin, options.faults);
    injector = faultInjector;
    pool.broadcast({ type: 'start' });
    const faults = faultInjector.run(until);

    const burstTimes: Array<{ key: string; at: number }> = [];
    for (let n = 0; n < 100_000 && nowMs() < until; n++) {
      await sleep(burstRandom.between(1500, 2500));
      const key = `burst:${n}`;
      burstTimes.push({ key, at: nowMs() });
      pool.broadcast({ type: 'burst', key, callers: BURST_CALLERS_PER_WORKER });
    }
    await faults;
    // A fault-free tail longer than W: a write that lands late shows up here, beyond the window.
    print(`faults over; fault-free tail of ${((WINDOW_MS + 3000) / 1000).toFixed(1)} s`);
    await sleep(WINDOW_MS + 3000);
    await pool.finish(FINISH_TIMEOUT_MS);

    const verdict = oracle.evaluate(faultInjector.log);
    const bursts: BurstResult[] = burstTimes.map(({ key, at }) => ({
      loads: database.loadsPerKey.get(key) ?? 0,
      underFault: faultInjector.log.some(
        (f) => f.start <= at + BURST_SETTLE_MS && f.end + WINDOW_MS >= at,
      ),
    }));
    const { text, passed } = renderReport({
      title: `cache-aside soak: ${mode}, ${options.processes} processes, ${options.seconds} s, seed ${options.seed}`,
      windowMs: WINDOW_MS,
      origin,
      faults: faultInjector.log,
      verdict,
      workers: pool.workers,
      loadsPerKey: database.loadsPerKey,
      loaderCalls: database.loaderCalls,
      bursts,
    });
    print(text);
    return passed ? 0 : 1;
  } finally {
    await cleanup();
    clearTimeout(watchdog);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    print(
      `[cache-aside soak] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exit(1);
  },
);
