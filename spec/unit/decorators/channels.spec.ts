import { tracingChannel } from 'node:diagnostics_channel';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  Cacheable,
  CacheAsideManager,
  CacheConfig,
  CacheEvict,
  CacheInterceptor,
  CachePut,
  CACHE_CHANNEL_NAMES,
  MemoryStore,
  type CacheGetContext,
  type CacheInvalidateContext,
  type CacheSetContext,
} from '../../../lib';
import { enableOpenTelemetry } from '../../../lib/otel';

/**
 * What decorated methods publish on the diagnostics channels, through the real manager: every
 * read, write and invalidation names its method (`'Class.method'`), and a `@Cacheable` answered
 * from its grace window ends as `'stale'`.
 */

type Ended = {
  get: CacheGetContext[];
  set: CacheSetContext[];
  invalidate: CacheInvalidateContext[];
};

/** Records each context of `cache-aside:get`, `:set` and `:invalidate` as it ended. */
function recordEnds(): { ended: Ended; stop(): void } {
  const ended: Ended = { get: [], set: [], invalidate: [] };
  const undo: Array<() => void> = [];
  for (const name of ['get', 'set', 'invalidate'] as const) {
    const channel = tracingChannel<unknown, object>(CACHE_CHANNEL_NAMES[name]);
    const noop = (): void => undefined;
    const handlers = {
      start: noop,
      end: noop,
      asyncStart: noop,
      asyncEnd: (context: object) => {
        (ended[name] as object[]).push({ ...context });
      },
      error: noop,
    };
    channel.subscribe(handlers);
    undo.push(() => channel.unsubscribe(handlers));
  }
  return {
    ended,
    stop: () => {
      for (const u of undo) u();
    },
  };
}

@CacheConfig({ namespace: 'users' })
class Users {
  down = false;

  @Cacheable({ key: 'user:{0}', ttl: 1, grace: 60 })
  async find(id: number): Promise<string> {
    if (this.down) throw new Error('database down');
    return `user ${id}`;
  }

  @CachePut({ key: 'user:{0}' })
  async save(id: number, name: string): Promise<string> {
    return `${name} ${id}`;
  }

  @CachePut({ key: 'user:{0}', ttl: () => 0 })
  async archive(id: number): Promise<string> {
    return `archived ${id}`;
  }

  @CacheEvict({ key: 'user:{0}' })
  async remove(_id: number): Promise<void> {}

  @CacheEvict({ keys: ['user:{0}', 'user:{1}'] })
  async merge(_a: number, _b: number): Promise<void> {}

  @CacheEvict({ pattern: 'user:{0}*' })
  async removeFamily(_prefix: string): Promise<void> {}

  @CacheEvict({ tags: ['users'] })
  async reindex(): Promise<void> {}

  @CacheEvict({ allEntries: true })
  async reset(): Promise<void> {}
}

describe('decorated methods on the diagnostics channels', () => {
  let store: MemoryStore;
  let cache: CacheAsideManager;
  let recorded: ReturnType<typeof recordEnds>;

  beforeEach(() => {
    store = new MemoryStore();
    cache = new CacheAsideManager({ redis: store, keyPrefix: 'chan:', ttlJitter: 0 });
    CacheInterceptor.reset();
    CacheInterceptor.use(cache);
    recorded = recordEnds();
  });

  afterEach(async () => {
    recorded.stop();
    jest.restoreAllMocks();
    CacheInterceptor.reset();
    await cache.close();
    store.close();
  });

  it('ends a @Cacheable call answered from its grace window as stale, with its method', async () => {
    const users = new Users();
    await expect(users.find(1)).resolves.toBe('user 1');
    await cache.settle();
    const now = Date.now();
    jest.spyOn(Date, 'now').mockImplementation(() => now + 1500);
    users.down = true;
    await expect(users.find(1)).resolves.toBe('user 1');
    expect(recorded.ended.get.map((g) => [g.key, g.method, g.outcome, g.tier])).toEqual([
      ['users:user:1', 'Users.find', 'miss', undefined],
      ['users:user:1', 'Users.find', 'stale', 'redis'],
    ]);
  });

  it('names the method of a @CachePut on cache-aside:set', async () => {
    await new Users().save(2, 'bo');
    expect(recorded.ended.set.map((s) => [s.key, s.method])).toEqual([
      ['users:user:2', 'Users.save'],
    ]);
  });

  it('names the method of a @CachePut that removes its key instead (a TTL of 0)', async () => {
    await new Users().archive(3);
    expect(recorded.ended.set).toEqual([]);
    expect(recorded.ended.invalidate.map((i) => [i.kind, i.keys, i.method])).toEqual([
      ['key', ['users:user:3'], 'Users.archive'],
    ]);
  });

  it('names the method of each @CacheEvict: key, keys, pattern, tags and allEntries', async () => {
    const users = new Users();
    await users.remove(1);
    await users.merge(1, 2);
    await users.removeFamily('a');
    await users.reindex();
    await users.reset();
    const invalidations = recorded.ended.invalidate;
    expect(invalidations.map((i) => [i.method, i.kind, i.keys ?? i.pattern ?? i.tags])).toEqual([
      ['Users.remove', 'key', ['users:user:1']],
      ['Users.merge', 'key', ['users:user:1', 'users:user:2']],
      ['Users.removeFamily', 'pattern', 'users:user:a*'],
      ['Users.reindex', 'tags', ['users']],
      ['Users.reset', 'pattern', 'users:*'],
    ]);
  });

  it('names no method for the same calls made on the manager directly', async () => {
    await cache.set('k', 1);
    await cache.invalidate('k');
    await cache.invalidatePattern('k*');
    await cache.invalidateTags(['t']);
    expect(recorded.ended.set.map((s) => s.method)).toEqual([undefined]);
    expect(recorded.ended.invalidate.map((i) => i.method)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('decorated writes and evictions in OpenTelemetry', () => {
  it('puts cache_aside.method on cache_aside.invalidations and the invalidation span', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const meterProvider = new MeterProvider({ readers: [reader] });
    const spans = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(spans)],
    });
    const disable = enableOpenTelemetry({ meterProvider, tracerProvider });
    const store = new MemoryStore();
    const cache = new CacheAsideManager({ redis: store, keyPrefix: 'chan-otel:' });
    CacheInterceptor.reset();
    CacheInterceptor.use(cache);
    try {
      const users = new Users();
      await users.remove(1);
      await users.reindex();

      await reader.forceFlush();
      const invalidations = exporter
        .getMetrics()
        .at(-1)
        ?.scopeMetrics.flatMap((scope) => scope.metrics)
        .find((metric) => metric.descriptor.name === 'cache_aside.invalidations');
      const points = (invalidations?.dataPoints ?? []) as Array<DataPoint<number>>;
      expect(points.map((p) => [p.attributes, p.value])).toEqual([
        [{ 'cache_aside.kind': 'key', 'cache_aside.method': 'Users.remove' }, 1],
        [{ 'cache_aside.kind': 'tags', 'cache_aside.method': 'Users.reindex' }, 1],
      ]);
      const methods = spans
        .getFinishedSpans()
        .filter((span) => span.name === 'cache_aside.invalidate')
        .map((span) => span.attributes['cache_aside.method']);
      expect(methods).toEqual(['Users.remove', 'Users.reindex']);
    } finally {
      disable();
      CacheInterceptor.reset();
      await cache.close();
      store.close();
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    }
  });
});
