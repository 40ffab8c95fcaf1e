import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import { createClient } from 'redis';
import Valkey from 'iovalkey';
import Redis6 from 'ioredis6';
import type { CacheAsideManager } from '../../lib/manager/cache-aside.manager';
import type { CacheError } from '../../lib/errors/cache-error';
import { asRunUser } from './acl-users';
import { isExpectedWarning } from './test-redis';

/**
 * Small tools shared by the fault-injection specs: timing, bounded polling, error capture and a
 * client with the retry policy the README recommends. Nothing here sleeps to make an assertion
 * pass; waits are bounded polls that fail with a message when the bound is reached.
 */

/** Options every fault spec uses: a short deadline and a short breaker cool-down keep them fast. */
export const FAULT_OPTIONS = {
  operationTimeoutMs: 100,
  circuitBreaker: { cooldownMs: 300 },
  leaseTtlMs: 1000,
  ttlJitter: 0,
} as const;

/**
 * Upper bound of a get that had to wait for the deadline: operationTimeoutMs plus room for a loaded
 * 2-core CI machine. Far below ioredis's own ~10 s of retries, which is what these bounds exist
 * to catch.
 */
export const DEADLINE_BOUND_MS = FAULT_OPTIONS.operationTimeoutMs + 300;

/** Upper bound of a get that should not touch the network at all (circuit open, client down). */
// Half of operationTimeoutMs (100): a get that waited for a deadline cannot pass under it. Times
// are measured by `timed`, which leaves out the time the process was stalled (a loaded machine).
export const NO_WAIT_BOUND_MS = 50;

/**
 * A client like the README's: capped reconnect backoff, one retry per request, errors listened to.
 * It is the client under test, so it logs in as the run's ACL user (integration:acl projects)
 * unless `url` names a user: a fault proxy's URL, or a server's not yet started, carry none.
 */
export function newFaultClient(rawUrl: string, options: { retryCapMs?: number } = {}): Redis {
  const url = asRunUser(rawUrl);
  const cap = options.retryCapMs ?? 200;
  const family = process.env.CACHE_ASIDE_TEST_CLIENT ?? 'ioredis';
  if (family === 'node-redis') return nodeRedisFaultClient(url, cap);
  const Client = (
    family === 'iovalkey' ? Valkey : family === 'ioredis6' ? Redis6 : Redis
  ) as typeof Redis;
  const client = new Client(url, {
    retryStrategy: (times) => Math.min(times * 25, cap),
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    // disconnect() of a client that is between reconnect attempts otherwise keeps a 2 s timer
    // alive (ioredis's default), which holds jest open after the run.
    disconnectTimeout: 100,
  });
  // A dead server makes ioredis emit 'error' on every reconnect attempt; without a listener it
  // prints each one. The manager's own reporting is what these specs assert on.
  client.on('error', () => undefined);
  return client;
}

/**
 * The same for node-redis (CACHE_ASIDE_TEST_CLIENT=node-redis): connected here, as an application
 * would, with the same capped backoff. The few members the fault specs read of an ioredis client
 * (`status`, `disconnect()`) are given to it, so each spec runs unchanged on either client.
 */
function nodeRedisFaultClient(url: string, cap: number): Redis {
  const client = createClient({
    url,
    socket: { reconnectStrategy: (times) => Math.min(times * 25, cap), connectTimeout: 1000 },
  });
  client.on('error', () => undefined);
  client.connect().catch(() => undefined);
  Object.defineProperties(client, {
    status: { get: () => (client.isReady ? 'ready' : client.isOpen ? 'reconnecting' : 'end') },
    disconnect: {
      value: () => {
        if (client.isOpen) client.destroy();
      },
    },
  });
  return client as unknown as Redis;
}

/** Holds the event loop, as a long synchronous task, a GC pause or a starved CPU does. */
export function stallProcess(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: nothing else in this process runs
  }
}

/** The stalled time of every `timed` call in this spec file, printed with its measurements. */
const stalls: number[] = [];

/** A gap between two ticks of the stall meter longer than this is a stall, not timer jitter. */
const STALL_GAP_MS = 15;
const STALL_TICK_MS = 2;

/**
 * Counts the time the process could not run at all while it is on: the gaps between ticks of a
 * short interval timer. On a loaded 2-core CI machine the kernel or a GC pause can hold a process
 * for half a second; that says nothing about whether a get waited for Redis, which is what the
 * fault bounds tell apart. Waiting on a socket or a deadline does not stall: the ticks go on.
 */
export class StallMeter {
  private stalled = 0;
  private last = performance.now();
  private readonly ticker = setInterval(() => this.tick(), STALL_TICK_MS);

  /** Stops the meter; returns the stalled milliseconds it saw. */
  stop(): number {
    clearInterval(this.ticker);
    this.tick();
    return this.stalled;
  }

  private tick(): void {
    const now = performance.now();
    const gap = now - this.last;
    if (gap > STALL_GAP_MS) this.stalled += gap - STALL_TICK_MS;
    this.last = now;
  }
}

/** How long `work` took, split into what the process could run and what it was stalled. */
export interface Timed<T> {
  value: T;
  /** Wall time less stalled time: what a fault bound is asserted on. */
  ms: number;
  /** Wall time, for lower bounds (a get that must have waited for the deadline). */
  wallMs: number;
  stalledMs: number;
}

export async function timed<T>(work: () => Promise<T>): Promise<Timed<T>> {
  const meter = new StallMeter();
  const started = performance.now();
  let value: T;
  try {
    value = await work();
  } finally {
    stalls.push(meter.stop());
  }
  const wallMs = performance.now() - started;
  const stalledMs = Math.min(stalls[stalls.length - 1], wallMs);
  return { value, ms: wallMs - stalledMs, wallMs, stalledMs };
}

/**
 * Polls `probe` until it returns true, at most `timeoutMs` (and at most `maxAttempts` times);
 * resolves with the elapsed milliseconds, rejects with `what` when the bound is reached.
 */
export async function pollUntil(
  what: string,
  probe: () => boolean | Promise<boolean>,
  { timeoutMs = 5000, intervalMs = 20, maxAttempts = 1000 } = {},
): Promise<number> {
  const started = performance.now();
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    if (await probe()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`${what}: not reached within ${timeoutMs} ms`);
}

/** Collects the manager's 'error' events. */
export function captureErrors(cache: CacheAsideManager): CacheError[] {
  const errors: CacheError[] = [];
  cache.on('error', (error) => {
    if (!isExpectedWarning(error)) errors.push(error);
  });
  return errors;
}

export function codesOf(errors: readonly CacheError[]): string[] {
  return errors.map((e) => e.code);
}

/** True when the next read of `key` was answered by Redis (a hit), without calling the loader. */
export async function isHit(cache: CacheAsideManager, key: string): Promise<boolean> {
  let loaded = false;
  await cache.get(key, () => {
    loaded = true;
    return `reloaded ${key}`;
  });
  await cache.settle();
  return !loaded;
}

/** Measured numbers, printed once per spec file so the run shows them. */
export class Measurements {
  private readonly rows: Array<[string, string]> = [];

  constructor(private readonly title: string) {}

  add(name: string, ms: number | readonly number[]): void {
    const text = typeof ms === 'number' ? `${ms.toFixed(1)} ms` : summarize(ms);
    this.rows.push([name, text]);
  }

  count(name: string, n: number): void {
    this.rows.push([name, String(n)]);
  }

  print(): void {
    if (stalls.some((ms) => ms > 0)) this.add('process stalled (left out of the bounds)', stalls);
    if (this.rows.length === 0) return;
    const width = Math.max(...this.rows.map(([name]) => name.length));

    console.log(
      `[measured] ${this.title}\n${this.rows.map(([n, t]) => `  ${n.padEnd(width)}  ${t}`).join('\n')}`,
    );
  }
}

function summarize(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return `n=${sorted.length} min ${sorted[0].toFixed(1)} / median ${at(0.5).toFixed(1)} / max ${sorted[sorted.length - 1].toFixed(1)} ms`;
}
