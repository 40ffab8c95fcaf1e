import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import type { CacheAsideOptions } from '../../../lib/manager/cache-aside.options';
import type { CacheError } from '../../../lib/errors/cache-error';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import {
  captureErrors,
  codesOf,
  DEADLINE_BOUND_MS,
  FAULT_OPTIONS,
  isHit,
  Measurements,
  newFaultClient,
  NO_WAIT_BOUND_MS,
  pollUntil,
  timed,
} from '../../support/fault-kit';
import { ready, uniquePrefix } from '../../support/test-redis';

const measured = new Measurements('hung redis-server (SIGSTOP, CLIENT PAUSE)');
afterAll(() => measured.print());

const TIMEOUT = FAULT_OPTIONS.operationTimeoutMs;
/** The SIGSTOP case's circuit cool-down: longer than its breaker-open gets take on a loaded machine. */
const SIGSTOP_COOLDOWN_MS = 2500;

describe('CacheAsideManager when Redis hangs past the deadline', () => {
  let server: RedisServer;
  let direct: Redis;
  let redis: Redis;
  let cache: CacheAsideManager;
  let errors: CacheError[];
  /** Every 'error' event, the expected warning of a run without scripting included. */
  let events: number;
  let prefix: string;

  const newCache = (options: Partial<CacheAsideOptions> = {}): void => {
    prefix = uniquePrefix('fault-hung');
    cache = new CacheAsideManager({ redis, keyPrefix: prefix, ...FAULT_OPTIONS, ...options });
    errors = captureErrors(cache);
    events = 0;
    cache.on('error', () => events++);
  };

  beforeAll(async () => {
    server = await startRedisServer();
    direct = newFaultClient(server.url);
    await ready(direct);
  });

  beforeEach(async () => {
    redis = newFaultClient(server.url);
    await ready(redis);
  });

  afterEach(async () => {
    // Never leave the server stopped, whatever a test did.
    server.resume();
    await cache.close();
    redis.disconnect();
  });

  afterAll(async () => {
    direct.disconnect();
    await server.stop();
  });

  /** Gets of distinct cold keys while Redis is hung: returns their latencies. */
  async function hungGets(
    count: number,
    loader: () => unknown = () => 'loaded',
  ): Promise<number[]> {
    const latencies: number[] = [];
    for (let i = 0; i < count; i++) {
      const { value, ms, wallMs } = await timed(() =>
        cache.get(`cold${latencies.length}:${Math.random()}`, loader),
      );
      expect(value).toBe(await loader());
      latencies.push(ms);
      wallTimes.push(wallMs);
    }
    return latencies;
  }
  /** Wall times of every hungGets call: a get that waited for the deadline took at least it. */
  let wallTimes: number[] = [];
  beforeEach(() => {
    wallTimes = [];
  });

  it('SIGSTOP: answers from the loader in ~operationTimeoutMs, then skips Redis once the circuit opens, then caches again', async () => {
    // A long cool-down, so that no half-open probe falls among the measured breaker-open gets
    // (with 1 s, a loaded CI machine spent it on them and the last get probed the hung server).
    newCache({ circuitBreaker: { cooldownMs: SIGSTOP_COOLDOWN_MS } });
    await cache.get('seed', () => 'seeded');
    await cache.settle();

    server.pause();
    try {
      const first = await hungGets(3);
      measured.add('get, hung server, circuit closed (loader 0 ms)', first);
      for (const ms of wallTimes) expect(ms).toBeGreaterThanOrEqual(TIMEOUT - 5);
      for (const ms of first) expect(ms).toBeLessThan(DEADLINE_BOUND_MS);
      expect(codesOf(errors)).toEqual(['REDIS_TIMEOUT', 'REDIS_TIMEOUT', 'REDIS_TIMEOUT']);

      const open = await hungGets(10);
      measured.add('get, hung server, circuit open (loader 0 ms)', open);
      expect(Math.max(...open)).toBeLessThan(NO_WAIT_BOUND_MS);
      const slowLoader = (): Promise<string> =>
        new Promise((resolve) => setTimeout(() => resolve('slow'), 30));
      const withLoader = await hungGets(3, slowLoader);
      measured.add('get, hung server, circuit open (loader 30 ms)', withLoader);
      expect(Math.max(...withLoader)).toBeLessThan(30 + NO_WAIT_BOUND_MS);
      expect(new Set(codesOf(errors).slice(3))).toEqual(new Set(['REDIS_UNAVAILABLE']));
      expect(cache.stats().errors).toBe(events);
    } finally {
      server.resume();
    }
    const resumed = performance.now();
    // The seeded entry is still there: once the breaker lets a probe through, it is a hit again.
    await pollUntil('hit after SIGCONT', () => isHit(cache, 'seed'), { timeoutMs: 5000 });
    const back = performance.now() - resumed;
    measured.add(`SIGCONT → first hit again (cool-down ${SIGSTOP_COOLDOWN_MS} ms)`, back);
    expect(back).toBeLessThan(SIGSTOP_COOLDOWN_MS + 1500);
    // And new values are stored again.
    await cache.get('after', () => 'stored');
    await cache.settle();
    expect(await isHit(cache, 'after')).toBe(true);
  });

  it('CLIENT PAUSE ALL: gets stay bounded while the server holds every command, then cache again', async () => {
    newCache();
    await cache.get('seed', () => 'seeded');
    await cache.settle();

    // Long enough for the gets below to run inside it on a loaded CI machine (with 800 ms they
    // once took 1.26 s of wall time there); CLIENT UNPAUSE cannot end it early (it is paused too).
    const pauseMs = 2000;
    server.cli('client', 'pause', String(pauseMs), 'all');
    const pausedAt = performance.now();
    const latencies = await hungGets(6);
    expect(performance.now() - pausedAt).toBeLessThan(pauseMs);
    measured.add('get, CLIENT PAUSE ALL (loader 0 ms)', latencies);
    expect(latencies.every((ms) => ms < DEADLINE_BOUND_MS)).toBe(true);
    expect(codesOf(errors).slice(0, 3)).toEqual([
      'REDIS_TIMEOUT',
      'REDIS_TIMEOUT',
      'REDIS_TIMEOUT',
    ]);
    expect(codesOf(errors)).toContain('REDIS_UNAVAILABLE');

    await pollUntil('hit after CLIENT PAUSE ends', () => isHit(cache, 'seed'), {
      timeoutMs: pauseMs + 5000,
    });
    const back = performance.now() - pausedAt - pauseMs;
    measured.add('CLIENT PAUSE over → first hit again', Math.max(0, back));
    expect(back).toBeLessThan(2000);
  });

  it('an invalidation issued while hung is not lost: the stale entry is gone after SIGCONT', async () => {
    newCache({ invalidationRetryMs: 200 });
    await cache.get('row', () => 'old row');
    await cache.settle();

    server.pause();
    try {
      const { value, ms } = await timed(() => cache.invalidate('row'));
      expect(value).toBe(0);
      expect(ms).toBeLessThan(DEADLINE_BOUND_MS);
      expect(codesOf(errors)).toEqual(['REDIS_TIMEOUT', 'INVALIDATION_DEFERRED']);
      expect(cache.stats().pendingInvalidations).toBe(1);
      // While it is pending, the key is not read from Redis.
      expect(await cache.get('row', () => 'new row')).toBe('new row');
    } finally {
      server.resume();
    }
    await pollUntil('queue replayed', () => cache.stats().pendingInvalidations === 0, {
      timeoutMs: 3000,
    });
    expect(await direct.exists(`${prefix}row`)).toBe(0);
    expect(await cache.get('row', () => 'new row')).toBe('new row');
    await cache.settle();
    expect(await isHit(cache, 'row')).toBe(true);
  });
});
