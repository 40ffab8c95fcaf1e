import type {
  BatchObservableCallback,
  Counter,
  Histogram,
  Meter,
  ObservableGauge,
} from '@opentelemetry/api';
import {
  observeCacheManagers,
  type CacheErrorMessage,
  type CacheGetContext,
  type CacheGetManyContext,
  type CacheInvalidateContext,
  type CacheLoadContext,
} from '../index';
import { ATTR, errorTypeOf, withMethod } from './attributes';

/** Bucket bounds for load durations, in seconds: a cache in front of 1 ms to 10 s sources. */
const LOAD_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The instruments of one `enableOpenTelemetry()` and what each channel event adds to them.
 * Attributes are the outcome, tier, method, kind and error type only: never a key or a value,
 * and nothing of high cardinality.
 */
export class CacheMetrics {
  private readonly lookups: Counter;
  private readonly loadDuration: Histogram;
  private readonly errors: Counter;
  private readonly invalidations: Counter;
  private readonly circuitOpen: ObservableGauge;
  private readonly l1Entries: ObservableGauge;
  private readonly observeManagers: BatchObservableCallback;

  constructor(private readonly meter: Meter) {
    this.lookups = meter.createCounter('cache_aside.lookups', {
      description:
        'Cache reads, by what answered them (hit, miss, stale, bypass) and the tier of a hit.',
      unit: '{lookup}',
    });
    this.loadDuration = meter.createHistogram('cache_aside.load.duration', {
      description: 'Time the loader took on a miss (the source behind the cache), in seconds.',
      unit: 's',
      advice: { explicitBucketBoundaries: LOAD_BUCKETS_S },
    });
    this.errors = meter.createCounter('cache_aside.errors', {
      description: 'Errors the cache reported (and served through), by CacheError code.',
      unit: '{error}',
    });
    this.invalidations = meter.createCounter('cache_aside.invalidations', {
      description: 'Invalidation calls, by kind (key, pattern, tags).',
      unit: '{invalidation}',
    });
    this.circuitOpen = meter.createObservableGauge('cache_aside.circuit.open', {
      description: "1 while a manager's circuit breaker is not closed (open or half-open), else 0.",
    });
    this.l1Entries = meter.createObservableGauge('cache_aside.l1.entries', {
      description: "Entries in a manager's in-process tier.",
      unit: '{entry}',
    });
    this.observeManagers = (result) => {
      for (const { manager, circuitOpen, l1Entries } of observeCacheManagers()) {
        const attributes = { [ATTR.keyPrefix]: manager.keyPrefix, [ATTR.managerId]: manager.id };
        result.observe(this.circuitOpen, circuitOpen ? 1 : 0, attributes);
        if (l1Entries !== undefined) result.observe(this.l1Entries, l1Entries, attributes);
      }
    };
    meter.addBatchObservableCallback(this.observeManagers, [this.circuitOpen, this.l1Entries]);
  }

  /** A read ended: one lookup, by its outcome (a read that failed before one was noted counts none). */
  lookup(context: CacheGetContext): void {
    if (context.outcome === undefined) return;
    const attributes = withMethod({ [ATTR.outcome]: context.outcome }, context.method);
    if (context.tier !== undefined) attributes[ATTR.tier] = context.tier;
    this.lookups.add(1, attributes);
  }

  /** A batch read ended: one lookup per key, by how it was answered. */
  batch(context: CacheGetManyContext): void {
    const { method } = context;
    const hit = (tier: string, count: number): void => {
      if (count > 0)
        this.lookups.add(count, withMethod({ [ATTR.outcome]: 'hit', [ATTR.tier]: tier }, method));
    };
    hit('l1', context.l1Hits);
    hit('redis', context.redisHits);
    if (context.stale > 0) {
      const attributes = { [ATTR.outcome]: 'stale', [ATTR.tier]: 'redis' };
      this.lookups.add(context.stale, withMethod(attributes, method));
    }
    if (context.misses > 0) {
      const outcome = context.bypass ? 'bypass' : 'miss';
      this.lookups.add(context.misses, withMethod({ [ATTR.outcome]: outcome }, method));
    }
  }

  /** A loader call ended after `seconds`. */
  load(context: CacheLoadContext, seconds: number): void {
    const attributes = withMethod({}, context.method);
    if ('error' in context) attributes[ATTR.errorType] = errorTypeOf(context.error);
    this.loadDuration.record(seconds, attributes);
  }

  invalidation(context: CacheInvalidateContext): void {
    this.invalidations.add(1, withMethod({ [ATTR.kind]: context.kind }, context.method));
  }

  error(message: CacheErrorMessage): void {
    const attributes = withMethod({ [ATTR.errorType]: message.error.code }, message.method);
    if (message.error.operation !== undefined) attributes[ATTR.operation] = message.error.operation;
    this.errors.add(1, attributes);
  }

  /** Stops the gauges reporting; the counters simply receive nothing more. */
  close(): void {
    this.meter.removeBatchObservableCallback(this.observeManagers, [
      this.circuitOpen,
      this.l1Entries,
    ]);
  }
}
