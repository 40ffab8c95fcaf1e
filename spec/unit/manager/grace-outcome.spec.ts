import { tracingChannel } from 'node:diagnostics_channel';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
} from '@opentelemetry/sdk-metrics';
import type { CacheAsideManager } from '../../../lib';
import {
  CACHE_CHANNEL_NAMES,
  type CacheGetContext,
  type CacheGetManyContext,
} from '../../../lib/manager/cache-channels';
import { enableOpenTelemetry } from '../../../lib/otel';
import { createInMemoryManager, MemoryStore } from '../../../lib/testing';

/**
 * A value served from its grace window because the loader failed is a stale answer: the
 * `cache-aside:get` context must end with outcome `'stale'` (tier `'redis'`, where the old value
 * came from), for the caller whose load failed and for the callers that joined that load, and
 * `cache_aside.lookups` must count it under `cache_aside.outcome = 'stale'`.
 */

const failing = (): Promise<string> => Promise.reject(new Error('database down'));

/** A loader that fails only when told to, and says whether it was called. */
function laterFailure(): { loader(): Promise<string>; called(): boolean; fail(): void } {
  let reject: ((error: Error) => void) | undefined;
  return {
    loader: () => new Promise<string>((_, r) => (reject = r)),
    called: () => reject !== undefined,
    fail: () => reject?.(new Error('database down')),
  };
}

/** Records each `cache-aside:get` and `cache-aside:getMany` context as it ended. */
function recordEnds(): { gets: CacheGetContext[]; batches: CacheGetManyContext[]; stop(): void } {
  const gets: CacheGetContext[] = [];
  const batches: CacheGetManyContext[] = [];
  const noop = (): void => undefined;
  const onGet = {
    start: noop,
    end: noop,
    asyncStart: noop,
    asyncEnd: (context: CacheGetContext) => gets.push({ ...context }),
    error: noop,
  };
  const onBatch = {
    start: noop,
    end: noop,
    asyncStart: noop,
    asyncEnd: (context: CacheGetManyContext) => batches.push({ ...context }),
    error: noop,
  };
  const get = tracingChannel<unknown, CacheGetContext>(CACHE_CHANNEL_NAMES.get);
  const getMany = tracingChannel<unknown, CacheGetManyContext>(CACHE_CHANNEL_NAMES.getMany);
  get.subscribe(onGet);
  getMany.subscribe(onBatch);
  return {
    gets,
    batches,
    stop: () => {
      get.unsubscribe(onGet);
      getMany.unsubscribe(onBatch);
    },
  };
}

describe('a value served from its grace window on the diagnostics channels', () => {
  let cache: CacheAsideManager;
  let recorded: ReturnType<typeof recordEnds>;

  /** Stores `old` under `key` with a 1 s TTL and a grace window, then moves past the TTL. */
  async function expired(key: string): Promise<void> {
    await cache.get(key, () => 'old', { ttl: 1, grace: 60 });
    await cache.settle();
    const now = Date.now();
    jest.spyOn(Date, 'now').mockImplementation(() => now + 1500);
  }

  beforeEach(() => {
    cache = createInMemoryManager({ redis: new MemoryStore(), keyPrefix: 'grace:' });
    recorded = recordEnds();
  });

  afterEach(async () => {
    recorded.stop();
    jest.restoreAllMocks();
    await cache.close();
  });

  it('ends a get whose loader failed inside grace with outcome stale, tier redis', async () => {
    await expired('g');
    recorded.gets.length = 0;
    await expect(cache.get('g', failing, { grace: 60, label: 'Svc.find' })).resolves.toBe('old');
    expect(recorded.gets.map((g) => [g.key, g.method, g.outcome, g.tier])).toEqual([
      ['g', 'Svc.find', 'stale', 'redis'],
    ]);
  });

  it('ends each get that joined that load with outcome stale too', async () => {
    await expired('j');
    recorded.gets.length = 0;
    const later = laterFailure();
    const first = cache.get('j', later.loader, { grace: 60 });
    const second = cache.get('j', failing, { grace: 60 });
    // Bounded: the leader reaches its loader after a few turns of the memory store.
    for (let turn = 0; !later.called() && turn < 100; turn++) await Promise.resolve();
    later.fail();
    await expect(Promise.all([first, second])).resolves.toEqual(['old', 'old']);
    expect(cache.stats().coalesced).toBe(1);
    expect(recorded.gets.map((g) => [g.outcome, g.tier])).toEqual([
      ['stale', 'redis'],
      ['stale', 'redis'],
    ]);
  });

  it('ends a get answered by the old value after softTimeoutMs with outcome stale', async () => {
    await expired('s');
    recorded.gets.length = 0;
    let finish!: (value: string) => void;
    const slow = () => new Promise<string>((resolve) => (finish = resolve));
    await expect(cache.get('s', slow, { grace: 60, softTimeoutMs: 1 })).resolves.toBe('old');
    finish('new');
    await cache.settle();
    expect(recorded.gets.map((g) => [g.outcome, g.tier])).toEqual([['stale', 'redis']]);
  });

  it('still ends a get whose loader failed past grace with outcome miss (and its error)', async () => {
    await cache.get('p', () => 'old', { ttl: 1 });
    await cache.settle();
    const now = Date.now();
    jest.spyOn(Date, 'now').mockImplementation(() => now + 1500);
    recorded.gets.length = 0;
    await expect(cache.get('p', failing)).rejects.toThrow('database down');
    expect(recorded.gets.map((g) => [g.outcome, g.tier])).toEqual([['miss', undefined]]);
  });

  it('counts a getMany key that joined a load answered from grace as stale, not a miss', async () => {
    await cache.get('a', () => 'A', { ttl: 60 });
    await expired('m');
    recorded.batches.length = 0;
    const later = laterFailure();
    const single = cache.get('m', later.loader, { grace: 60 });
    for (let turn = 0; !later.called() && turn < 100; turn++) await Promise.resolve();
    const batch = cache.getMany(['a', 'm'], (missing) => missing.map(() => 'never'), {
      label: 'Batch.load',
    });
    // Bounded: the batch joins the load in flight once its lookups are back.
    for (let turn = 0; cache.stats().coalesced === 0 && turn < 100; turn++) await Promise.resolve();
    later.fail();
    await expect(Promise.all([single, batch])).resolves.toEqual(['old', ['A', 'old']]);
    expect(recorded.batches).toEqual([
      expect.objectContaining({ redisHits: 1, misses: 0, stale: 1, bypass: false }),
    ]);
  });
});

describe('cache_aside.lookups for a value served from its grace window', () => {
  it('counts it with cache_aside.outcome stale, tier redis and the method', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const meterProvider = new MeterProvider({ readers: [reader] });
    const cache = createInMemoryManager({ redis: new MemoryStore(), keyPrefix: 'grace-otel:' });
    await cache.get('g', () => 'old', { ttl: 1, grace: 60 });
    await cache.settle();
    const disable = enableOpenTelemetry({ meterProvider });
    try {
      const now = Date.now();
      jest.spyOn(Date, 'now').mockImplementation(() => now + 1500);
      const opts = { grace: 60, label: 'Svc.find' };
      await expect(cache.get('g', failing, opts)).resolves.toBe('old');

      await reader.forceFlush();
      const lookups = exporter
        .getMetrics()
        .at(-1)
        ?.scopeMetrics.flatMap((scope) => scope.metrics)
        .find((metric) => metric.descriptor.name === 'cache_aside.lookups');
      const points = (lookups?.dataPoints ?? []) as Array<DataPoint<number>>;
      expect(points.map((p) => [p.attributes, p.value])).toEqual([
        [
          {
            'cache_aside.outcome': 'stale',
            'cache_aside.tier': 'redis',
            'cache_aside.method': 'Svc.find',
          },
          1,
        ],
      ]);
    } finally {
      jest.restoreAllMocks();
      disable();
      await cache.close();
      await meterProvider.shutdown();
    }
  });
});
