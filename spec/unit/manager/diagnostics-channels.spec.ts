import { tracingChannel, subscribe, unsubscribe } from 'node:diagnostics_channel';
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
  type CacheErrorMessage,
  type CacheGetContext,
  type CacheGetManyContext,
  type CacheInvalidateContext,
  type CacheLoadContext,
  type CacheSetContext,
} from '../../../lib/manager/cache-channels';
import { enableOpenTelemetry } from '../../../lib/otel';
import { createInMemoryManager, MemoryStore } from '../../../lib/testing';

/**
 * A real manager on the in-process store, with subscribers on every channel: each kind of call
 * must publish the context fields the contract lists, with the outcome and tier it ended with.
 */

type Events = Array<{ channel: string; phase: string; context: Record<string, unknown> }>;

/** Records `start` and `asyncEnd` of every tracing channel (a copy of the context at that time). */
function recordChannels(events: Events): () => void {
  const names = ['get', 'getMany', 'set', 'invalidate', 'load'] as const;
  const undo: Array<() => void> = [];
  for (const name of names) {
    const channel = tracingChannel<unknown, Record<string, unknown>>(CACHE_CHANNEL_NAMES[name]);
    const handlers = {
      start: (context: Record<string, unknown>) => {
        events.push({ channel: name, phase: 'start', context: { ...context } });
      },
      end: () => undefined,
      asyncStart: () => undefined,
      asyncEnd: (context: Record<string, unknown>) => {
        events.push({ channel: name, phase: 'asyncEnd', context: { ...context } });
      },
      error: () => undefined,
    };
    channel.subscribe(handlers);
    undo.push(() => channel.unsubscribe(handlers));
  }
  return () => {
    for (const u of undo) u();
  };
}

function ended(events: Events, channel: string): Array<Record<string, unknown>> {
  return events
    .filter((e) => e.channel === channel && e.phase === 'asyncEnd')
    .map((e) => e.context);
}

describe('CacheAsideManager on the diagnostics channels', () => {
  let store: MemoryStore;
  let cache: CacheAsideManager;
  let events: Events;
  let stop: () => void;

  beforeEach(() => {
    store = new MemoryStore();
    cache = createInMemoryManager({ redis: store, keyPrefix: 'dc:' });
    events = [];
    stop = recordChannels(events);
  });

  afterEach(async () => {
    stop();
    jest.restoreAllMocks();
    await cache.close();
  });

  it('publishes a miss with its load, then a Redis hit, with key, keyPrefix and method', async () => {
    const method = 'Users.find';
    await expect(cache.get('u1', () => 'alice', { label: method })).resolves.toBe('alice');
    await cache.settle();
    await expect(cache.get('u1', () => 'other', { label: method })).resolves.toBe('alice');

    const gets = ended(events, 'get') as unknown as CacheGetContext[];
    expect(gets.map((g) => [g.key, g.keyPrefix, g.method, g.outcome, g.tier])).toEqual([
      ['u1', 'dc:', method, 'miss', undefined],
      ['u1', 'dc:', method, 'hit', 'redis'],
    ]);
    expect(gets[0].manager.keyPrefix).toBe('dc:');
    expect(typeof gets[0].manager.id).toBe('number');
    const loads = ended(events, 'load') as unknown as CacheLoadContext[];
    expect(loads).toHaveLength(1);
    expect(loads[0]).toMatchObject({ key: 'u1', keys: undefined, keyPrefix: 'dc:', method });
    expect(loads[0].result).toBe('alice');
    // The load is traced inside the read that missed.
    const order = events.map((e) => `${e.channel}:${e.phase}`);
    expect(order.indexOf('load:start')).toBeGreaterThan(order.indexOf('get:start'));
    expect(order.indexOf('load:asyncEnd')).toBeLessThan(order.indexOf('get:asyncEnd'));
  });

  it('publishes an L1 hit with tier l1, and a Redis hit of another process with tier redis', async () => {
    const withL1 = () =>
      createInMemoryManager({ redis: store, keyPrefix: 'dc:', l1: { maxEntries: 10 } });
    const first = withL1();
    const second = withL1(); // another process on the same store
    try {
      await first.get('k', () => 1); // miss; the loaded value is kept in L1
      await first.settle();
      await first.get('k', () => 2); // from L1
      await second.get('k', () => 3); // from Redis, then kept in L1
      await second.get('k', () => 4); // from L1
    } finally {
      await first.close();
      await second.close();
    }
    const gets = ended(events, 'get') as unknown as CacheGetContext[];
    expect(gets.map((g) => [g.outcome, g.tier, g.manager.id])).toEqual([
      ['miss', undefined, gets[0].manager.id],
      ['hit', 'l1', gets[0].manager.id],
      ['hit', 'redis', gets[2].manager.id],
      ['hit', 'l1', gets[2].manager.id],
    ]);
    expect(gets[2].manager.id).not.toBe(gets[0].manager.id);
    expect(gets[3].method).toBeUndefined();
  });

  it('publishes a bypass when Redis fails on the read, and the error on cache-aside:error', async () => {
    const errors: CacheErrorMessage[] = [];
    const onError = (message: unknown) => errors.push(message as CacheErrorMessage);
    subscribe(CACHE_CHANNEL_NAMES.error, onError);
    try {
      jest.spyOn(store, 'get').mockImplementation(() => {
        throw new Error('connection lost');
      });
      await expect(cache.get('down', () => 'loaded', { label: 'Svc.m' })).resolves.toBe('loaded');
    } finally {
      unsubscribe(CACHE_CHANNEL_NAMES.error, onError);
    }
    const [get] = ended(events, 'get') as unknown as CacheGetContext[];
    expect(get).toMatchObject({ key: 'down', outcome: 'bypass', tier: undefined, method: 'Svc.m' });
    expect(ended(events, 'load')).toEqual([expect.objectContaining({ key: 'down' })]);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors[0]).toMatchObject({ keyPrefix: 'dc:', method: 'Svc.m' });
    expect(errors[0].error.code).toMatch(/^REDIS_/);
  });

  it('publishes a stale answer (stale-while-revalidate) with tier redis', async () => {
    await cache.set('s', 'old', { ttl: 1 });
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now + 1500);
    await expect(
      cache.get('s', () => 'new', { staleWhileRevalidate: 60, label: 'S.get' }),
    ).resolves.toBe('old');
    await cache.settle();
    const [get] = ended(events, 'get') as unknown as CacheGetContext[];
    expect(get).toMatchObject({ key: 's', outcome: 'stale', tier: 'redis', method: 'S.get' });
  });

  it('publishes a getMany with its keys, counts per tier, and the batch load', async () => {
    await cache.set('a', 1);
    await expect(
      cache.getMany(['a', 'b', 'c'], (missing) => missing.map((k) => k.toUpperCase()), {
        label: 'Batch.load',
      }),
    ).resolves.toEqual([1, 'B', 'C']);
    const [batch] = ended(events, 'getMany') as unknown as CacheGetManyContext[];
    expect(batch).toMatchObject({
      keys: ['a', 'b', 'c'],
      keyPrefix: 'dc:',
      method: 'Batch.load',
      l1Hits: 0,
      redisHits: 1,
      misses: 2,
      bypass: false,
    });
    const [load] = ended(events, 'load') as unknown as CacheLoadContext[];
    expect(load).toMatchObject({ key: undefined, keys: ['b', 'c'], method: 'Batch.load' });
  });

  it('publishes a set with its key', async () => {
    await cache.set('w', { v: 1 });
    const sets = ended(events, 'set') as unknown as CacheSetContext[];
    expect(sets).toEqual([
      expect.objectContaining({ key: 'w', keyPrefix: 'dc:', method: undefined }),
    ]);
    // A set is not also an invalidation.
    expect(ended(events, 'invalidate')).toEqual([]);
  });

  it('publishes each invalidation kind with its target and count', async () => {
    await cache.set('x', 1, { tags: ['t'] });
    await cache.set('y', 2);
    events.length = 0;
    await expect(cache.invalidate('x')).resolves.toBe(1);
    await expect(cache.invalidate(['y', 'nope'])).resolves.toBe(1);
    await expect(cache.invalidatePattern('z*')).resolves.toBe(0);
    await expect(cache.invalidateTags(['t', 'u'])).resolves.toBe(2);
    const invalidations = ended(events, 'invalidate') as unknown as CacheInvalidateContext[];
    expect(
      invalidations.map((i) => [i.kind, i.key, i.keys, i.pattern, i.tags, i.count, i.keyPrefix]),
    ).toEqual([
      ['key', 'x', ['x'], undefined, undefined, 1, 'dc:'],
      ['key', undefined, ['y', 'nope'], undefined, undefined, 1, 'dc:'],
      ['pattern', undefined, undefined, 'z*', undefined, 0, 'dc:'],
      ['tags', undefined, undefined, undefined, ['t', 'u'], 2, 'dc:'],
    ]);
  });

  it('rejects a bad argument without publishing, as before', async () => {
    await expect(cache.get('', () => 1)).rejects.toThrow('[cache-aside]');
    expect(events).toEqual([]);
  });
});

describe('enableOpenTelemetry() over a real manager', () => {
  it('counts cache_aside.lookups by outcome, tier and method', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const meterProvider = new MeterProvider({ readers: [reader] });
    const disable = enableOpenTelemetry({ meterProvider });
    const store = new MemoryStore();
    const writer = createInMemoryManager({ redis: store, keyPrefix: 'otel:' });
    const cache = createInMemoryManager({
      redis: store,
      keyPrefix: 'otel:',
      l1: { maxEntries: 10 },
    });
    try {
      const opts = { label: 'Users.find' };
      await writer.get('u', () => 'v', opts); // miss (another process)
      await writer.settle();
      await cache.get('u', () => 'w', opts); // redis hit, kept in L1
      await cache.get('u', () => 'w', opts); // l1 hit
      await cache.get('u', () => 'w', opts); // l1 hit

      await reader.forceFlush();
      const metrics = exporter.getMetrics().at(-1);
      const lookups = metrics?.scopeMetrics
        .flatMap((scope) => scope.metrics)
        .find((metric) => metric.descriptor.name === 'cache_aside.lookups');
      const points = (lookups?.dataPoints ?? []) as Array<DataPoint<number>>;
      expect(points).toHaveLength(3);
      const hitAt = (tier: string) =>
        points.find(
          (p) =>
            p.attributes['cache_aside.outcome'] === 'hit' &&
            p.attributes['cache_aside.tier'] === tier &&
            p.attributes['cache_aside.method'] === 'Users.find',
        )?.value;
      expect(hitAt('redis')).toBe(1);
      expect(hitAt('l1')).toBe(2);
      const miss = points.find((p) => p.attributes['cache_aside.outcome'] === 'miss');
      expect(miss?.attributes['cache_aside.method']).toBe('Users.find');
      expect(miss?.attributes['cache_aside.tier']).toBeUndefined();
    } finally {
      disable();
      await writer.close();
      await cache.close();
      await meterProvider.shutdown();
    }
  });
});
