import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import {
  CACHE_CHANNEL_NAMES,
  type CacheErrorMessage,
  type CacheGetContext,
  type CacheGetManyContext,
  type CacheInvalidateContext,
  type CacheLoadContext,
} from '../index';
import { CacheMetrics } from './cache-metrics';
import { CacheSpans } from './cache-spans';
import { resolveOpenTelemetryOptions, type OpenTelemetryOptions } from './open-telemetry-options';

/** The instrumentation scope of every meter and tracer this integration asks for. */
export const INSTRUMENTATION_SCOPE = 'cache-aside';

type Phase = 'start' | 'asyncEnd';

/** The plain channel Node publishes one phase of a tracing channel on. */
function phaseOf(name: string, phase: Phase): string {
  return `tracing:${name}:${phase}`;
}

/**
 * Reports every cache-aside manager of this process to OpenTelemetry: subscribes to the
 * library's diagnostics channels, turns their events into metrics and spans, and returns a
 * function that unsubscribes (and stops the gauges). Managers created before or after the call
 * are reported alike. Calling it twice reports everything twice: keep one per provider.
 */
export function enableOpenTelemetry(options: OpenTelemetryOptions = {}): () => void {
  const resolved = resolveOpenTelemetryOptions(options);
  const metrics = new CacheMetrics(resolved.meterProvider.getMeter(INSTRUMENTATION_SCOPE));
  const spans = new CacheSpans(
    resolved.tracerProvider.getTracer(INSTRUMENTATION_SCOPE),
    resolved.includeKeys,
  );
  const loadStarted = new WeakMap<object, number>();

  const handlers: Array<[string, (message: unknown) => void]> = [
    [
      phaseOf(CACHE_CHANNEL_NAMES.get, 'asyncEnd'),
      resolved.traceHits
        ? (message) => {
            metrics.lookup(message as CacheGetContext);
            spans.endGet(message as CacheGetContext);
          }
        : (message) => {
            metrics.lookup(message as CacheGetContext);
          },
    ],
    [
      phaseOf(CACHE_CHANNEL_NAMES.getMany, 'start'),
      (message) => {
        spans.startGetMany(message as CacheGetManyContext);
      },
    ],
    [
      phaseOf(CACHE_CHANNEL_NAMES.getMany, 'asyncEnd'),
      (message) => {
        metrics.batch(message as CacheGetManyContext);
        spans.endGetMany(message as CacheGetManyContext);
      },
    ],
    [
      phaseOf(CACHE_CHANNEL_NAMES.load, 'start'),
      (message) => {
        loadStarted.set(message as object, performance.now());
        spans.startLoad(message as CacheLoadContext);
      },
    ],
    [
      phaseOf(CACHE_CHANNEL_NAMES.load, 'asyncEnd'),
      (message) => {
        const context = message as CacheLoadContext;
        const started = loadStarted.get(context);
        loadStarted.delete(context);
        if (started !== undefined) metrics.load(context, (performance.now() - started) / 1000);
        spans.endPlain(context);
      },
    ],
    [
      phaseOf(CACHE_CHANNEL_NAMES.invalidate, 'start'),
      (message) => {
        spans.startInvalidate(message as CacheInvalidateContext);
      },
    ],
    [
      phaseOf(CACHE_CHANNEL_NAMES.invalidate, 'asyncEnd'),
      (message) => {
        metrics.invalidation(message as CacheInvalidateContext);
        spans.endInvalidate(message as CacheInvalidateContext);
      },
    ],
    [
      CACHE_CHANNEL_NAMES.error,
      (message) => {
        metrics.error(message as CacheErrorMessage);
      },
    ],
  ];
  if (resolved.traceHits) {
    handlers.push([
      phaseOf(CACHE_CHANNEL_NAMES.get, 'start'),
      (message) => {
        spans.startGet(message as CacheGetContext);
      },
    ]);
  }

  for (const [name, handler] of handlers) subscribe(name, handler);
  let enabled = true;
  return function disableOpenTelemetry(): void {
    if (!enabled) return;
    enabled = false;
    for (const [name, handler] of handlers) unsubscribe(name, handler);
    metrics.close();
  };
}
