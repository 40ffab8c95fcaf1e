import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import { Measurements } from '../../support/fault-kit';
import { isExpectedWarning, newTestClient, ready, uniquePrefix } from '../../support/test-redis';

const measured = new Measurements('one process: failing loader, in-flight state');
afterAll(() => measured.print());

/**
 * The 20 000-miss cases take 4–9 s on an idle machine and over 30 s (jest's default) on one
 * loaded by other work; they check state and counts, not speed, so they get room.
 */
const BURST_TIMEOUT_MS = 120_000;

/**
 * Heap a pending miss may hold (issue #12 finding 5), measured after full GCs with 20 000 misses
 * waiting in their loaders, the test's own async loader included. Node 20, ioredis, on a machine
 * loaded by other work: 4,674-4,676 bytes before the miss path was trimmed, 2,763-2,764 after
 * run alone, 2,451 after this file's other cases (repeated runs agree within a few bytes: the
 * heap after GC does not move with load). A per-miss async frame, wrapper promise or
 * randomBytes marker coming back shows against the bound.
 */
const MAX_BYTES_PER_PENDING_MISS = 4_000;

describe('CacheAsideManager under many concurrent callers in one process', () => {
  let redis: Redis;

  beforeAll(async () => {
    redis = newTestClient();
    await ready(redis);
  });

  afterAll(() => redis.quit());

  it('a loader that always fails: all 100 callers get the same error, one load, no unhandled rejection, the next call loads again', async () => {
    const prefix = uniquePrefix('sp-fail');
    const cache = new CacheAsideManager({ redis, keyPrefix: prefix });
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      let calls = 0;
      const loader = async (): Promise<never> => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 50));
        throw new Error(`database down (call ${calls})`);
      };
      const settled = await Promise.allSettled(
        Array.from({ length: 100 }, () => cache.get('k', loader)),
      );
      expect(settled.every((s) => s.status === 'rejected')).toBe(true);
      const reasons = settled.map((s) => (s as PromiseRejectedResult).reason as Error);
      expect(new Set(reasons).size).toBe(1);
      expect(reasons[0].message).toBe('database down (call 1)');
      expect(calls).toBe(1);
      expect(cache.stats()).toMatchObject({ misses: 100, loads: 1, coalesced: 99 });

      await cache.settle();
      // Nothing stored, no lease left behind, and the failure is not remembered.
      expect(await redis.exists(`${prefix}k`)).toBe(0);
      await expect(cache.get('k', loader)).rejects.toThrow('database down (call 2)');
      expect(calls).toBe(2);
      // Give a stray rejection the turns it needs to be reported.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
      await cache.close();
    }
  });

  it(
    '20 000 distinct misses leave no in-flight state behind',
    async () => {
      const prefix = uniquePrefix('sp-leak');
      // A TTL far longer than the run (the heap measurements' full GCs take seconds on a loaded CI
      // machine: with 5 s, the first entries had expired when the sample below was read).
      const cache = new CacheAsideManager({ redis, keyPrefix: prefix, defaultTtl: 120 });
      const codes = new Map<string, number>();
      cache.on('error', (e) => {
        if (!isExpectedWarning(e)) codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
      });
      // Internals read on purpose: the single-flight maps and the set of background writes are
      // what a leak would grow. (Narrow casts; nothing else in the suite looks inside.)
      const internals = cache as unknown as {
        flights: { size: number };
        reads: { refresher: { flights: { size: number } } };
        background: { size: number };
      };
      const total = 20_000;
      const batch = 1000;
      const missBatch = async (from: number): Promise<number> => {
        let peak = 0;
        const gets = Array.from({ length: batch }, (_, i) =>
          cache.get(`k${from + i}`, (key) => {
            peak = Math.max(peak, internals.flights.size);
            return key;
          }),
        );
        const values = await Promise.all(gets);
        expect(values[batch - 1]).toBe(`k${from + batch - 1}`);
        return peak;
      };
      // Warm up (JIT, ioredis buffers), then measure the heap around the 20 000 misses.
      await missBatch(-batch);
      await cache.settle();
      const heapBefore = heapAfterGc();
      const started = performance.now();
      let peak = 0;
      for (let from = 0; from < total; from += batch) peak = Math.max(peak, await missBatch(from));
      await cache.settle();
      measured.add(
        `${total} distinct misses, batches of ${batch}, until settled`,
        performance.now() - started,
      );
      measured.count('loads in flight at once (peak, seen from inside the loaders)', peak);
      const grown = heapAfterGc() - heapBefore;
      measured.count(
        'heap grown after 20 000 misses and settle(), after GC (KiB)',
        Math.round(grown / 1024),
      );
      expect(peak).toBeGreaterThan(100); // the batches really were concurrent
      // A leak of even one small object per miss would be 2 MB or more here.
      expect(grown).toBeLessThan(1.5 * 1024 * 1024);
      expect(cache.stats()).toMatchObject({ misses: total + batch, loads: total + batch });
      expect(internals.flights.size).toBe(0);
      expect(internals.reads.refresher.flights.size).toBe(0);
      expect(internals.background.size).toBe(0);
      // And they were stored: a sample reads back as hits (deadlines measure Redis, not the
      // process's own backlog of 1000 misses at a time: issue #12 finding 5).
      expect(Object.fromEntries(codes)).toEqual({});
      const sample = Array.from({ length: 200 }, (_, i) => `${prefix}k${i * 100}`);
      expect(await redis.exists(...sample)).toBe(sample.length);
      await cache.invalidatePattern('k*');
      await cache.close();
    },
    BURST_TIMEOUT_MS,
  );
});

describe('CacheAsideManager: 20 000 misses issued in one tick against an idle Redis', () => {
  let redis: Redis;

  beforeAll(async () => {
    redis = newTestClient();
    await ready(redis);
  });

  afterAll(() => redis.quit());

  it(
    'no deadline is reported, the circuit stays closed, every value is stored, and a pending miss costs little heap',
    async () => {
      const prefix = uniquePrefix('sp-burst');
      // Leases that outlast the burst: a store lands only while its lease is at the key, and on a
      // loaded CI machine the process took over 5 s (the default lease) to get from some takes to
      // their stores (205 of 1000 sampled values stored, silently, as designed: an expired lease
      // cannot be told from an invalidated one). What this case checks is that no deadline counts
      // our own backlog, and what a pending miss costs.
      const cache = new CacheAsideManager({
        redis,
        keyPrefix: prefix,
        defaultTtl: 300,
        leaseTtlMs: BURST_TIMEOUT_MS,
      });
      const codes = new Map<string, number>();
      cache.on('error', (error) => {
        if (!isExpectedWarning(error)) codes.set(error.code, (codes.get(error.code) ?? 0) + 1);
      });
      const total = 20_000;
      // Every loader waits here until the heap is measured: all 20 000 misses are then pending
      // at once (GET answered, lease taken, loader called), and nothing else is in flight.
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      let allCalled!: () => void;
      const allPending = new Promise<void>((resolve) => (allCalled = resolve));
      const heapBefore = heapAfterGc();
      const started = performance.now();
      let calls = 0;
      const gets = Array.from({ length: total }, (_, i) =>
        cache.get(`b${i}`, async (key) => {
          if (++calls === total) allCalled();
          await gate;
          return key;
        }),
      );
      await allPending;
      // A few deadline sweeps: commands answered during the burst leave the deadline queue (it
      // keeps answered ones until its next sweep), so only what pending misses hold is measured.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const perMiss = Math.round((heapAfterGc() - heapBefore) / total);
      open();
      const values = await Promise.all(gets);
      await cache.settle();
      measured.add(
        `${total} misses issued in one tick, until settled`,
        performance.now() - started,
      );
      measured.count(
        'heap after GC with all of them pending in their loaders, over the heap before (bytes per miss)',
        perMiss,
      );
      expect(values[total - 1]).toBe(`b${total - 1}`);
      expect(Object.fromEntries(codes)).toEqual({});
      expect(cache.stats()).toMatchObject({ misses: total, circuit: 'closed' });
      const stored = await redis.exists(
        ...Array.from({ length: 1000 }, (_, i) => `${prefix}b${i * 20}`),
      );
      expect(stored).toBe(1000);
      expect(perMiss).toBeLessThan(MAX_BYTES_PER_PENDING_MISS);
      await cache.invalidatePattern('b*');
      await cache.close();
    },
    BURST_TIMEOUT_MS,
  );
});

/** Heap in use after a full garbage collection (gc exposed at run time, for this measurement). */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
