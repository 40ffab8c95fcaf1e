import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { context, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { CacheError } from '../../../lib';
import {
  cacheChannels,
  noteBatch,
  noteBatchStale,
  noteLookup,
  publishError,
  registerManager,
  traceGet,
  traceGetMany,
  traceInvalidate,
  traceLoad,
  type CacheLookupOutcome,
  type CacheTier,
  type ManagerRegistration,
} from '../../../lib/manager/cache-channels';
import { enableOpenTelemetry, type OpenTelemetryOptions } from '../../../lib/otel';
import { errorTypeOf } from '../../../lib/otel/attributes';

/**
 * Publishes on the channels exactly as the manager does (the same helpers, the same order:
 * lookup, then the load inside the traced read), and reads what reached OpenTelemetry through
 * the SDK's in-memory exporters.
 */
class Harness {
  readonly metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  readonly reader = new PeriodicExportingMetricReader({
    exporter: this.metricExporter,
    exportIntervalMillis: 3_600_000,
  });
  readonly meterProvider = new MeterProvider({ readers: [this.reader] });
  readonly spanExporter = new InMemorySpanExporter();
  readonly tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(this.spanExporter)],
  });
  readonly registration: ManagerRegistration;
  readonly disable: () => void;

  constructor(options: Omit<OpenTelemetryOptions, 'meterProvider' | 'tracerProvider'> = {}) {
    this.registration = registerManager({
      keyPrefix: 'app:',
      circuitOpen: () => {
        this.probes++;
        return this.circuitOpen;
      },
      l1Entries: () => 5,
    });
    this.disable = enableOpenTelemetry({
      ...options,
      meterProvider: this.meterProvider,
      tracerProvider: this.tracerProvider,
    });
  }

  circuitOpen = true;
  /** How often a collection read this manager's circuit state. */
  probes = 0;

  get manager() {
    return this.registration.identity;
  }

  /** A read answered by the cache. */
  hit(key: string, tier: CacheTier, method?: string, outcome: CacheLookupOutcome = 'hit') {
    return traceGet(this.manager, key, method, async (t) => {
      noteLookup(t, outcome, tier);
      return 'cached value';
    });
  }

  /** A read that misses and calls the loader inside the traced read, as the miss path does. */
  miss(key: string, method: string | undefined, loader: () => unknown) {
    return traceGet(this.manager, key, method, async (t) => {
      noteLookup(t, 'miss');
      return traceLoad(this.manager, key, method, loader);
    });
  }

  /** Redis skipped: the loader answers, outside the cache. */
  bypass(key: string) {
    return traceGet(this.manager, key, undefined, async (t) => {
      noteLookup(t, 'bypass');
      return traceLoad(this.manager, key, undefined, () => 'loaded');
    });
  }

  /** A batch of three: one from L1, one from Redis, one loaded. */
  batch(keys: [string, string, string], method?: string) {
    return traceGetMany(this.manager, keys, method, async (t) => {
      noteBatch(t, 1, 1, 1, false);
      const [loaded] = await traceLoad(this.manager, [keys[2]], method, () => ['v3']);
      return ['v1', 'v2', loaded];
    });
  }

  async metrics(): Promise<Map<string, Array<DataPoint<unknown>>>> {
    this.metricExporter.reset();
    await this.reader.forceFlush();
    const exported = this.metricExporter.getMetrics().at(-1);
    const byName = new Map<string, Array<DataPoint<unknown>>>();
    for (const scope of exported?.scopeMetrics ?? []) {
      for (const metric of scope.metrics) {
        expect(scope.scope.name).toBe('cache-aside');
        byName.set(metric.descriptor.name, metric.dataPoints);
      }
    }
    return byName;
  }

  spans(): ReadableSpan[] {
    return this.spanExporter.getFinishedSpans();
  }

  async close(): Promise<void> {
    this.disable();
    this.registration.unregister();
    await this.meterProvider.shutdown();
    await this.tracerProvider.shutdown();
  }
}

/** The value of the one data point whose attributes are exactly `attributes`. */
function valueAt(points: Array<DataPoint<unknown>> | undefined, attributes: Attributes): unknown {
  const matching = (points ?? []).filter(
    (p) => JSON.stringify(sorted(p.attributes)) === JSON.stringify(sorted(attributes)),
  );
  expect(matching).toHaveLength(1);
  return matching[0].value;
}

function sorted(attributes: Attributes): Array<[string, unknown]> {
  return Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b));
}

/** Every attribute value of every span and data point, flattened to strings. */
function everyAttributeValue(
  spans: readonly ReadableSpan[],
  points: Iterable<Array<DataPoint<unknown>>>,
): string[] {
  const values: string[] = [];
  for (const span of spans) values.push(...Object.values(span.attributes).map(String));
  for (const list of points)
    for (const p of list) values.push(...Object.values(p.attributes).map(String));
  return values;
}

const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});

describe('enableOpenTelemetry()', () => {
  describe('metrics', () => {
    let h: Harness;
    beforeEach(() => {
      h = new Harness();
    });
    afterEach(() => h.close());

    it('counts lookups by outcome, tier and method, loads by method and error, errors by code, invalidations by kind', async () => {
      await h.hit('user:1', 'redis', 'Users.find');
      await h.hit('user:2', 'redis', 'Users.find');
      await h.hit('user:1', 'l1', 'Users.find');
      await h.hit('user:3', 'redis', undefined, 'stale');
      await expect(h.miss('user:4', 'Users.find', () => ({ id: 4 }))).resolves.toEqual({ id: 4 });
      await expect(
        h.miss('user:5', 'Users.find', () => {
          throw new TypeError('no such column');
        }),
      ).rejects.toThrow(TypeError);
      await h.bypass('user:6');
      await h.batch(['user:7', 'user:8', 'user:9'], 'Users.findMany');
      await traceInvalidate(h.manager, { kind: 'key', keys: ['user:1'] }, undefined, async () => 1);
      await traceInvalidate(h.manager, { kind: 'key', keys: ['a', 'b'] }, undefined, async () => 2);
      await traceInvalidate(
        h.manager,
        { kind: 'pattern', pattern: 'user:*' },
        undefined,
        async () => 9,
      );
      await traceInvalidate(
        h.manager,
        { kind: 'tags', tags: ['team:1'] },
        undefined,
        async () => 1,
      );
      const timeout = new CacheError('REDIS_TIMEOUT', 'slow', { operation: 'get', key: 'user:1' });
      publishError(h.manager, timeout, 'Users.find');
      publishError(h.manager, timeout, 'Users.find');
      publishError(
        h.manager,
        new CacheError('DECODE_FAILED', 'bad bytes', { operation: 'get' }),
        undefined,
      );

      const m = await h.metrics();
      const lookups = m.get('cache_aside.lookups');
      const outcome = 'cache_aside.outcome';
      const tier = 'cache_aside.tier';
      const method = 'cache_aside.method';
      expect(valueAt(lookups, { [outcome]: 'hit', [tier]: 'redis', [method]: 'Users.find' })).toBe(
        2,
      );
      expect(valueAt(lookups, { [outcome]: 'hit', [tier]: 'l1', [method]: 'Users.find' })).toBe(1);
      expect(valueAt(lookups, { [outcome]: 'stale', [tier]: 'redis' })).toBe(1);
      expect(valueAt(lookups, { [outcome]: 'miss', [method]: 'Users.find' })).toBe(2);
      expect(valueAt(lookups, { [outcome]: 'bypass' })).toBe(1);
      expect(valueAt(lookups, { [outcome]: 'hit', [tier]: 'l1', [method]: 'Users.findMany' })).toBe(
        1,
      );
      expect(
        valueAt(lookups, { [outcome]: 'hit', [tier]: 'redis', [method]: 'Users.findMany' }),
      ).toBe(1);
      expect(valueAt(lookups, { [outcome]: 'miss', [method]: 'Users.findMany' })).toBe(1);
      expect(lookups).toHaveLength(8);

      const loads = m.get('cache_aside.load.duration')!;
      expect(loads.every((p) => p.value !== null && typeof p.value === 'object')).toBe(true);
      const count = (attributes: Attributes) => (valueAt(loads, attributes) as Histogram).count;
      expect(count({ [method]: 'Users.find' })).toBe(1);
      expect(count({ [method]: 'Users.find', 'error.type': 'TypeError' })).toBe(1);
      expect(count({})).toBe(1);
      expect(count({ [method]: 'Users.findMany' })).toBe(1);
      expect(loads).toHaveLength(4);
      const seconds = (valueAt(loads, { [method]: 'Users.find' }) as Histogram).sum;
      expect(seconds).toBeGreaterThanOrEqual(0);
      expect(seconds).toBeLessThan(5); // seconds, not milliseconds

      const errors = m.get('cache_aside.errors');
      expect(
        valueAt(errors, {
          'error.type': 'REDIS_TIMEOUT',
          [method]: 'Users.find',
          'cache_aside.operation': 'get',
        }),
      ).toBe(2);
      expect(
        valueAt(errors, { 'error.type': 'DECODE_FAILED', 'cache_aside.operation': 'get' }),
      ).toBe(1);

      const invalidations = m.get('cache_aside.invalidations');
      expect(valueAt(invalidations, { 'cache_aside.kind': 'key' })).toBe(2);
      expect(valueAt(invalidations, { 'cache_aside.kind': 'pattern' })).toBe(1);
      expect(valueAt(invalidations, { 'cache_aside.kind': 'tags' })).toBe(1);

      // Metrics never carry a key, a pattern, a tag or a value.
      for (const value of everyAttributeValue([], m.values())) {
        expect(value).not.toMatch(/user:|team:|cached value|no such column/);
      }
    });

    it('counts a loader that rejects with no error at all as failed', async () => {
      await expect(
        h.miss('user:1', 'Users.find', () => Promise.reject(undefined as unknown as Error)),
      ).rejects.toBeUndefined();
      const loads = (await h.metrics()).get('cache_aside.load.duration');
      const failed = valueAt(loads, { 'cache_aside.method': 'Users.find', 'error.type': '_OTHER' });
      expect((failed as Histogram).count).toBe(1);
      expect(h.spans().find((s) => s.name === 'cache_aside.load')?.status.code).toBe(2);
    });

    it('counts no lookup for a read that failed before its outcome was known, and a bypassed batch as bypass', async () => {
      await expect(
        traceGet(h.manager, 'user:1', 'Users.find', async () => {
          throw new TypeError('bad options');
        }),
      ).rejects.toThrow(TypeError);
      await traceGetMany(h.manager, ['a', 'b'], undefined, async (t) => {
        noteBatch(t, 0, 0, 2, true);
        return [1, 2];
      });
      const lookups = (await h.metrics()).get('cache_aside.lookups');
      expect(lookups).toHaveLength(1);
      expect(valueAt(lookups, { 'cache_aside.outcome': 'bypass' })).toBe(2);
    });

    it('counts the keys of a batch answered from the grace window of a joined load as stale, on the span too', async () => {
      await traceGetMany(h.manager, ['a', 'b', 'c'], 'Users.findMany', async (t) => {
        noteBatch(t, 0, 1, 2, false);
        noteBatchStale(t, 1);
        return [1, 2, 3];
      });
      const lookups = (await h.metrics()).get('cache_aside.lookups');
      const method = { 'cache_aside.method': 'Users.findMany' };
      expect(valueAt(lookups, { ...method, 'cache_aside.outcome': 'miss' })).toBe(1);
      expect(
        valueAt(lookups, {
          ...method,
          'cache_aside.outcome': 'stale',
          'cache_aside.tier': 'redis',
        }),
      ).toBe(1);
      const span = h.spans().find((s) => s.name === 'cache_aside.get_many');
      expect(span?.attributes).toMatchObject({ 'cache_aside.misses': 1, 'cache_aside.stale': 1 });
    });

    it('reports the circuit state and L1 entries of each live manager as gauges', async () => {
      const bare = registerManager({
        keyPrefix: 'bare:',
        circuitOpen: () => false,
        l1Entries: () => undefined,
      });
      try {
        const ours = { 'cache_aside.key_prefix': 'app:', 'cache_aside.manager.id': h.manager.id };
        const other = {
          'cache_aside.key_prefix': 'bare:',
          'cache_aside.manager.id': bare.identity.id,
        };
        let m = await h.metrics();
        expect(valueAt(m.get('cache_aside.circuit.open'), ours)).toBe(1);
        expect(valueAt(m.get('cache_aside.circuit.open'), other)).toBe(0);
        expect(valueAt(m.get('cache_aside.l1.entries'), ours)).toBe(5);
        expect(m.get('cache_aside.l1.entries')).toHaveLength(1);
        h.circuitOpen = false;
        m = await h.metrics();
        expect(valueAt(m.get('cache_aside.circuit.open'), ours)).toBe(0);
      } finally {
        bare.unregister();
      }
    });

    it('stops everything when turned off: no subscribers left, no new data points, gauges no longer read', async () => {
      await h.hit('user:1', 'redis', 'Users.find');
      const before = await h.metrics();
      h.disable();
      h.disable(); // twice is harmless
      for (const channel of Object.values(cacheChannels))
        expect(channel.hasSubscribers).toBe(false);
      await h.hit('user:1', 'redis', 'Users.find');
      await traceInvalidate(h.manager, { kind: 'tags', tags: ['t'] }, undefined, async () => 1);
      const after = await h.metrics();
      expect(after.get('cache_aside.lookups')!.map((p) => p.value)).toEqual(
        before.get('cache_aside.lookups')!.map((p) => p.value),
      );
      expect(after.get('cache_aside.invalidations') ?? []).toHaveLength(0);
      // The gauges' callback is gone: collecting no longer reads the managers.
      const probed = h.probes;
      await h.metrics();
      expect(h.probes).toBe(probed);
    });
  });

  describe('spans', () => {
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    /** Runs `work` under an active span, as an HTTP server instrumentation would. */
    async function underRequest(harness: Harness, work: () => Promise<unknown>) {
      const tracer = harness.tracerProvider.getTracer('test');
      const request = tracer.startSpan('GET /users/:id');
      await context.with(trace.setSpan(context.active(), request), work);
      request.end();
      return request.spanContext();
    }

    it('opens a span per load, per getMany and per invalidation, each a child of the span active at the call', async () => {
      h = new Harness();
      const harness = h;
      const request = await underRequest(harness, async () => {
        await harness.hit('user:1', 'redis', 'Users.find');
        await harness.miss('user:2', 'Users.find', async () => {
          await new Promise((resolve) => setImmediate(resolve));
          return 2;
        });
        await harness.batch(['a', 'b', 'c'], 'Users.findMany');
        await traceInvalidate(
          harness.manager,
          { kind: 'pattern', pattern: 'user:*' },
          'Users.reset',
          async () => 4,
        );
      });
      const spans = harness.spans().filter((s) => s.name.startsWith('cache_aside.'));
      expect(spans.map((s) => s.name).sort()).toEqual([
        'cache_aside.get_many',
        'cache_aside.invalidate',
        'cache_aside.load',
        'cache_aside.load',
      ]);
      for (const span of spans) {
        expect(span.parentSpanContext?.spanId).toBe(request.spanId);
        expect(span.spanContext().traceId).toBe(request.traceId);
      }
      const [load] = spans.filter(
        (s) => s.name === 'cache_aside.load' && s.attributes['cache_aside.method'] === 'Users.find',
      );
      expect(load.attributes).toEqual({
        'cache_aside.key_prefix': 'app:',
        'cache_aside.method': 'Users.find',
      });
      const batch = spans.find((s) => s.name === 'cache_aside.get_many')!;
      expect(batch.attributes).toMatchObject({
        'cache_aside.keys.count': 3,
        'cache_aside.l1_hits': 1,
        'cache_aside.redis_hits': 1,
        'cache_aside.misses': 1,
      });
      const invalidation = spans.find((s) => s.name === 'cache_aside.invalidate')!;
      expect(invalidation.attributes).toMatchObject({
        'cache_aside.kind': 'pattern',
        'cache_aside.count': 4,
        'cache_aside.method': 'Users.reset',
      });
    });

    it('keeps keys, patterns and tags off spans unless includeKeys, and never puts a value or an error message on one', async () => {
      h = new Harness();
      const harness = h;
      await underRequest(harness, async () => {
        await harness.miss('user:secret@example.com', 'Users.find', () => 'the value');
        await harness
          .miss('user:9', undefined, () => {
            throw new RangeError('user:9 is out of range');
          })
          .catch(() => undefined);
        await harness.batch(['user:a', 'user:b', 'user:c']);
        await traceInvalidate(
          harness.manager,
          { kind: 'key', keys: ['user:1'] },
          undefined,
          async () => 1,
        );
        await traceInvalidate(
          harness.manager,
          { kind: 'pattern', pattern: 'user:*' },
          undefined,
          async () => 1,
        );
        await traceInvalidate(
          harness.manager,
          { kind: 'tags', tags: ['team:1'] },
          undefined,
          async () => 1,
        );
      });
      const spans = harness.spans();
      for (const value of everyAttributeValue(spans, [])) {
        expect(value).not.toMatch(/user:|team:|the value|out of range/);
      }
      const failed = spans.find((s) => s.attributes['error.type'] === 'RangeError')!;
      expect(failed.name).toBe('cache_aside.load');
      expect(failed.status).toEqual({ code: 2 }); // SpanStatusCode.ERROR, no message
      expect(failed.events).toHaveLength(0);
    });

    it('puts keys, patterns and tags on spans with includeKeys', async () => {
      h = new Harness({ includeKeys: true });
      const harness = h;
      await harness.miss('user:1', 'Users.find', () => 1);
      await harness.batch(['user:a', 'user:b', 'user:c']);
      await traceInvalidate(
        harness.manager,
        { kind: 'key', keys: ['user:1', 'user:2'] },
        undefined,
        async () => 2,
      );
      await traceInvalidate(
        harness.manager,
        { kind: 'pattern', pattern: 'user:*' },
        undefined,
        async () => 1,
      );
      await traceInvalidate(
        harness.manager,
        { kind: 'tags', tags: ['team:1'] },
        undefined,
        async () => 1,
      );
      const attributes = harness.spans().map((s) => s.attributes);
      expect(attributes).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ 'cache_aside.key': 'user:1' }),
          expect.objectContaining({ 'cache_aside.keys': ['user:c'] }),
          expect.objectContaining({ 'cache_aside.keys': ['user:a', 'user:b', 'user:c'] }),
          expect.objectContaining({ 'cache_aside.keys': ['user:1', 'user:2'] }),
          expect.objectContaining({ 'cache_aside.pattern': 'user:*' }),
          expect.objectContaining({ 'cache_aside.tags': ['team:1'] }),
        ]),
      );
    });

    it('traces hits only with traceHits, as cache_aside.get with the outcome and tier', async () => {
      h = new Harness();
      await h.hit('user:1', 'redis');
      expect(h.spans()).toHaveLength(0);
      await h.close();

      h = new Harness({ traceHits: true });
      const harness = h;
      const request = await underRequest(harness, async () => {
        await harness.hit('user:1', 'l1', 'Users.find');
        await harness.miss('user:2', 'Users.find', () => 2);
      });
      const gets = harness.spans().filter((s) => s.name === 'cache_aside.get');
      expect(gets.map((s) => s.attributes)).toEqual([
        {
          'cache_aside.key_prefix': 'app:',
          'cache_aside.method': 'Users.find',
          'cache_aside.outcome': 'hit',
          'cache_aside.tier': 'l1',
        },
        {
          'cache_aside.key_prefix': 'app:',
          'cache_aside.method': 'Users.find',
          'cache_aside.outcome': 'miss',
        },
      ]);
      for (const span of gets) expect(span.parentSpanContext?.spanId).toBe(request.spanId);
    });

    it('counts a call already in flight when it was turned on, without a span or a load duration', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const registration = registerManager({
        keyPrefix: 'early:',
        circuitOpen: () => false,
        l1Entries: () => undefined,
      });
      const manager = registration.identity;
      const listener = (): void => undefined;
      // Something else subscribes, so the calls are traced before OpenTelemetry is turned on.
      const channels = ['get', 'getMany', 'load', 'invalidate'].map(
        (n) => `tracing:cache-aside:${n}:start`,
      );
      for (const name of channels) subscribe(name, listener);
      try {
        const read = traceGet(manager, 'k', undefined, async (t) => {
          noteLookup(t, 'miss');
          return traceLoad(manager, 'k', undefined, async () => {
            await gate;
            return 1;
          });
        });
        const batch = traceGetMany(manager, ['a'], undefined, async (t) => {
          await gate;
          noteBatch(t, 1, 0, 0, false);
          return [1];
        });
        const invalidation = traceInvalidate(
          manager,
          { kind: 'key', keys: ['k'] },
          undefined,
          async () => {
            await gate;
            return 1;
          },
        );
        h = new Harness({ traceHits: true });
        release();
        await Promise.all([read, batch, invalidation]);
        const m = await h.metrics();
        expect(h.spans()).toHaveLength(0);
        expect(m.get('cache_aside.load.duration') ?? []).toHaveLength(0);
        expect(valueAt(m.get('cache_aside.lookups'), { 'cache_aside.outcome': 'miss' })).toBe(1);
        expect(valueAt(m.get('cache_aside.invalidations'), { 'cache_aside.kind': 'key' })).toBe(1);
      } finally {
        for (const name of channels) unsubscribe(name, listener);
        registration.unregister();
      }
    });

    it('opens no span and records nothing once turned off', async () => {
      h = new Harness({ traceHits: true });
      h.disable();
      await h.hit('user:1', 'redis');
      await h.miss('user:2', undefined, () => 2);
      expect(h.spans()).toHaveLength(0);
    });
  });

  describe('options', () => {
    it('refuses unknown option names, listing the valid ones', () => {
      expect(() => enableOpenTelemetry({ includeKey: true } as OpenTelemetryOptions)).toThrow(
        /no option includeKey; the options are meterProvider, tracerProvider, includeKeys, traceHits/,
      );
    });

    it.each([
      [{ includeKeys: 'yes' }, /includeKeys must be true or false/],
      [{ traceHits: 1 }, /traceHits must be true or false/],
      [{ meterProvider: {} }, /meterProvider must be an OpenTelemetry MeterProvider/],
      [{ tracerProvider: null }, /tracerProvider must be an OpenTelemetry TracerProvider/],
      [null, /takes an options object/],
      [['traceHits'], /takes an options object/],
      ['traceHits', /takes an options object/],
    ])('refuses %j', (options, message) => {
      expect(() => enableOpenTelemetry(options as unknown as OpenTelemetryOptions)).toThrow(
        message,
      );
      expect(cacheChannels.get.hasSubscribers).toBe(false);
    });

    it('uses the global providers by default', async () => {
      const harness = new Harness();
      harness.disable();
      const { metrics: metricsApi } = await import('@opentelemetry/api');
      metricsApi.setGlobalMeterProvider(harness.meterProvider);
      trace.setGlobalTracerProvider(harness.tracerProvider);
      const disable = enableOpenTelemetry();
      try {
        await harness.miss('user:1', 'Users.find', () => 1);
        const m = await harness.metrics();
        expect(m.get('cache_aside.lookups')).toHaveLength(1);
        expect(harness.spans().map((s) => s.name)).toEqual(['cache_aside.load']);
      } finally {
        disable();
        metricsApi.disable();
        trace.disable();
        await harness.close();
      }
    });
  });
});

describe('the library without cache-aside/otel', () => {
  it('never loads @opentelemetry/api', () => {
    jest.isolateModules(() => {
      jest.doMock('@opentelemetry/api', () => {
        throw new Error('@opentelemetry/api was loaded by the main entry point');
      });
      expect(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh load of the entry point, inside an isolated registry
        require('../../../lib');
      }).not.toThrow();
    });
  });
});

describe('errorTypeOf()', () => {
  it('names a CacheError by its code, another error by its class, anything else _OTHER', () => {
    class QueryFailedError extends Error {}
    expect(errorTypeOf(new CacheError('LOADER_TIMEOUT', 'slow'))).toBe('LOADER_TIMEOUT');
    expect(errorTypeOf(new QueryFailedError('duplicate key user:1'))).toBe('QueryFailedError');
    expect(errorTypeOf('a string')).toBe('_OTHER');
    expect(errorTypeOf(undefined)).toBe('_OTHER');
  });
});
