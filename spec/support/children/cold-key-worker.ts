/**
 * A child process for the multi-process specs, run with `node --import tsx`. It connects to the
 * Redis whose URL it is given, says `up`, then takes jobs, one JSON line each on stdin. For a
 * job it builds a manager, says `ready`, waits for a `go` line (the start barrier shared by all
 * processes), then runs `concurrency` concurrent gets of one cold key. The loader counts its
 * calls in Redis (INCR on a counter key through a second plain client, so every process adds to
 * one number), then sleeps `loaderMs` and returns, or throws when `fail` is set. Every line on
 * stdout is one JSON message.
 */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';

export interface WorkerJob {
  prefix: string;
  key: string;
  counterKey: string;
  concurrency: number;
  loaderMs: number;
  leaseTtlMs: number;
  /** The loader throws instead of returning. */
  fail?: boolean;
}

export interface ResultMessage {
  type: 'result';
  pid: number;
  /** Milliseconds from `go` to the last caller settling. */
  ms: number;
  values: unknown[];
  errors: string[];
  /** Distinct error objects the callers of this process received. */
  distinctErrors: number;
  loaderCalls: number;
  unhandledRejections: number;
  /** Codes of the manager's 'error' events during the job. */
  errorEvents: string[];
  stats: { hits: number; misses: number; loads: number; coalesced: number; errors: number };
}

export type WorkerMessage =
  | { type: 'up'; pid: number }
  | { type: 'ready'; pid: number }
  | { type: 'miss'; pid: number }
  | { type: 'loading'; pid: number; call: number }
  | ResultMessage;

function send(message: WorkerMessage): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function main(): Promise<void> {
  const url = process.argv[2];
  let unhandledRejections = 0;
  process.on('unhandledRejection', () => unhandledRejections++);

  const options = {
    retryStrategy: (times: number) => Math.min(times * 50, 500),
    maxRetriesPerRequest: 1,
  };
  const redis = new Redis(url, options);
  const counter = new Redis(url, options);
  await Promise.all([redis.ping(), counter.ping()]);

  // stdin lines, consumed in order.
  const pending: string[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    pending.push(line.trim());
    wake?.();
  });
  lines.on('close', () => {
    closed = true;
    wake?.();
  });
  const nextLine = async (): Promise<string | undefined> => {
    while (pending.length === 0 && !closed) await new Promise<void>((resolve) => (wake = resolve));
    return pending.shift();
  };

  send({ type: 'up', pid: process.pid });
  for (
    let line = await nextLine();
    line !== undefined && line !== 'exit';
    line = await nextLine()
  ) {
    const job = JSON.parse(line) as WorkerJob;
    const cache = new CacheAsideManager({
      redis,
      keyPrefix: job.prefix,
      leaseTtlMs: job.leaseTtlMs,
      // Generous: a loaded CI machine running several of these must not fall back on timeouts.
      operationTimeoutMs: 1000,
    });
    cache.once('miss', () => send({ type: 'miss', pid: process.pid }));
    const errorEvents: string[] = [];
    cache.on('error', (error) => errorEvents.push(error.code));
    let loaderCalls = 0;
    const loader = async (): Promise<{ by: number; n: number }> => {
      loaderCalls++;
      const n = await counter.incr(job.counterKey);
      send({ type: 'loading', pid: process.pid, call: n });
      await sleep(job.loaderMs);
      if (job.fail) throw new Error(`loader failed in ${process.pid}`);
      return { by: process.pid, n };
    };

    send({ type: 'ready', pid: process.pid });
    if ((await nextLine()) !== 'go') break;
    const rejectionsBefore = unhandledRejections;
    const started = performance.now();
    const settled = await Promise.allSettled(
      Array.from({ length: job.concurrency }, () => cache.get(job.key, loader)),
    );
    const ms = performance.now() - started;
    const rejections = settled
      .filter((s): s is PromiseRejectedResult => s.status === 'rejected')
      .map((s) => s.reason as Error);
    await cache.settle();
    // Let any stray rejection surface before counting them.
    await new Promise((resolve) => setImmediate(resolve));
    await sleep(20);
    const stats = cache.stats();
    send({
      type: 'result',
      pid: process.pid,
      ms,
      values: settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])),
      errors: rejections.map((e) => e.message),
      distinctErrors: new Set(rejections).size,
      loaderCalls,
      unhandledRejections: unhandledRejections - rejectionsBefore,
      errorEvents,
      stats: {
        hits: stats.hits,
        misses: stats.misses,
        loads: stats.loads,
        coalesced: stats.coalesced,
        errors: stats.errors,
      },
    });
    await cache.close();
  }
  lines.close();
  await Promise.all([redis.quit(), counter.quit()]);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
