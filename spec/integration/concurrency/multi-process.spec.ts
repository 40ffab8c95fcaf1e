import { performance } from 'node:perf_hooks';
import type Redis from 'ioredis';
import { pollUntil } from '../../support/fault-kit';
import { LEASE_MARKER_PREFIX } from '../../../lib/entry/entry-format';
import { Measurements } from '../../support/fault-kit';
import {
  spawnWorker,
  type ResultMessage,
  type Worker,
  type WorkerJob,
} from '../../support/children/workers';
import {
  isExpectedWarning,
  newTestClient,
  ready,
  testRedisUrl,
  uniquePrefix,
} from '../../support/test-redis';

const measured = new Measurements('several processes, one cold key');

describe('CacheAsideManager across processes sharing one Redis', () => {
  let redis: Redis;
  let workers: Worker[];
  let holder: Worker;

  beforeAll(async () => {
    redis = newTestClient();
    // Four long-lived processes for every test, plus one to be killed; started together.
    workers = Array.from({ length: 4 }, () => spawnWorker(testRedisUrl()));
    holder = spawnWorker(testRedisUrl());
    await Promise.all([ready(redis), ...[...workers, holder].map((w) => w.next('up'))]);
  });

  afterAll(async () => {
    await Promise.all([...workers, holder].map((w) => w.stop()));
    await redis.quit();
    measured.print();
  });

  function job(prefix: string, overrides: Partial<WorkerJob> = {}): WorkerJob {
    return {
      prefix,
      key: 'cold',
      counterKey: `${prefix}loads`,
      concurrency: 25,
      loaderMs: 100,
      leaseTtlMs: 5000,
      ...overrides,
    };
  }

  /** Prepares the job in every worker, releases them together, collects their results. */
  async function runTogether(group: Worker[], work: WorkerJob): Promise<ResultMessage[]> {
    await Promise.all(group.map((w) => w.prepare(work)));
    for (const w of group) w.go();
    return Promise.all(group.map((w) => w.result()));
  }

  it('4 processes × 25 concurrent misses of one cold key call the loader once; all 100 callers get its value', async () => {
    const prefix = uniquePrefix('mp-once');
    const results = await runTogether(workers, job(prefix));
    measured.add(
      '4×25 callers, loader 100 ms: per-process time to all values',
      results.map((r) => r.ms),
    );

    expect(await redis.get(`${prefix}loads`)).toBe('1');
    expect(results.reduce((sum, r) => sum + r.loaderCalls, 0)).toBe(1);
    const values = results.flatMap((r) => r.values);
    expect(values).toHaveLength(100);
    expect(new Set(values.map((v) => JSON.stringify(v))).size).toBe(1);
    expect(values[0]).toMatchObject({ n: 1 });
    expect(results.flatMap((r) => r.errors)).toEqual([]);
    expect(results.every((r) => r.unhandledRejections === 0)).toBe(true);
    // None but the warning of a run without scripting (integration:acl-noscript), once a process.
    const events = results.flatMap((r) => r.errorEvents);
    expect(events.filter((code) => !isExpectedWarning({ code }))).toEqual([]);
    expect(results.every((r) => r.stats.errors === r.errorEvents.length)).toBe(true);
    // The 99 who did not load: 75 in other processes waited on the lease, 24 joined in-process.
    expect(results.reduce((sum, r) => sum + r.stats.coalesced, 0)).toBeGreaterThanOrEqual(
      4 * 24 - 3,
    );
  });

  it('a loader that always fails: every caller in every process gets the error, one load per process batch, no unhandled rejection', async () => {
    const prefix = uniquePrefix('mp-fail');
    const results = await runTogether(workers, job(prefix, { loaderMs: 50, fail: true }));
    for (const r of results) {
      expect(r.values).toEqual([]);
      expect(r.errors).toHaveLength(25);
      // Within a process, all callers share one rejection: the very same error object.
      expect(r.distinctErrors).toBe(1);
      expect(r.errors[0]).toMatch(/^loader failed in \d+$/);
      expect(r.loaderCalls).toBeLessThanOrEqual(1);
      expect(r.unhandledRejections).toBe(0);
    }
    const loads = Number(await redis.get(`${prefix}loads`));
    measured.count('always-failing loader, 4×25 callers: loader calls in total', loads);
    expect(loads).toBeGreaterThanOrEqual(1);
    expect(loads).toBeLessThanOrEqual(4);
    // Nothing was stored, and no lease is left behind.
    expect(await redis.exists(`${prefix}cold`)).toBe(0);
  });

  it('when the lease holder is SIGKILLed mid-load, the others succeed within the lease TTL plus a margin', async () => {
    const prefix = uniquePrefix('mp-crash');
    const leaseTtlMs = 1000;
    const others = workers.slice(0, 3);
    await Promise.all([
      holder.prepare(job(prefix, { loaderMs: 60_000, leaseTtlMs, concurrency: 1 })),
      ...others.map((w) => w.prepare(job(prefix, { leaseTtlMs }))),
    ]);

    holder.go();
    await holder.next('loading');
    // The holder is inside its loader: its lease marker is at the key.
    expect((await redis.get(`${prefix}cold`))?.startsWith(LEASE_MARKER_PREFIX)).toBe(true);
    const leased = performance.now();

    for (const w of others) w.go();
    await Promise.all(others.map((w) => w.next('miss')));
    await holder.kill();

    const results = await Promise.all(others.map((w) => w.result()));
    const done = performance.now() - leased;
    measured.add(
      'holder killed: survivors done, from the lease being seen (lease TTL 1000 ms)',
      done,
    );
    measured.add(
      'holder killed: per-process time to all values',
      results.map((r) => r.ms),
    );

    // They waited for the lease (no one loaded at once), and not much longer than it.
    expect(done).toBeGreaterThanOrEqual(leaseTtlMs - 100);
    for (const r of results) expect(r.ms).toBeLessThan(leaseTtlMs + 1500);
    expect(results.flatMap((r) => r.values)).toHaveLength(75);
    expect(results.flatMap((r) => r.errors)).toEqual([]);
    // One load among the survivors: the first to see the dead holder's lease expire takes a new
    // one, the others wait for it, and its value is stored and served to all 75 callers.
    const loads = results.reduce((sum, r) => sum + r.loaderCalls, 0);
    measured.count('holder killed: loader calls among the 3 survivors', loads);
    expect(loads).toBe(1);
    expect(new Set(results.flatMap((r) => r.values).map((v) => JSON.stringify(v))).size).toBe(1);
    await pollUntil(
      'the value stored after the crash',
      async () => (await redis.getBuffer(`${prefix}cold`))?.[0] === 0xca,
      {
        timeoutMs: 2000,
      },
    );
  });
});
