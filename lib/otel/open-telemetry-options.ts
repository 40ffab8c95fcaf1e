import { metrics, trace, type MeterProvider, type TracerProvider } from '@opentelemetry/api';
import { CacheTypeError } from '../index';

/** Where `enableOpenTelemetry` sends metrics and spans, and how much a span may reveal. */
export interface OpenTelemetryOptions {
  /** Where metrics go. @default the global MeterProvider (`metrics.getMeterProvider()`) */
  meterProvider?: MeterProvider;
  /** Where spans go. @default the global TracerProvider (`trace.getTracerProvider()`) */
  tracerProvider?: TracerProvider;
  /**
   * Puts keys, patterns and tags on spans. Off by default: keys often hold personal data (an
   * e-mail address, a user id). Metrics never carry keys, whatever this says.
   * @default false
   */
  includeKeys?: boolean;
  /**
   * A span for every read (`cache_aside.get`), hits included. Off by default: a hit is cheap and
   * frequent, and a span per hit costs more than the hit; misses show as `cache_aside.load`.
   * @default false
   */
  traceHits?: boolean;
}

export interface ResolvedOpenTelemetryOptions {
  readonly meterProvider: MeterProvider;
  readonly tracerProvider: TracerProvider;
  readonly includeKeys: boolean;
  readonly traceHits: boolean;
}

const OPTION_NAMES = ['meterProvider', 'tracerProvider', 'includeKeys', 'traceHits'];

/** Checks the options (refusing unknown names, as the rest of the library does) and fills defaults. */
export function resolveOpenTelemetryOptions(
  options: OpenTelemetryOptions,
): ResolvedOpenTelemetryOptions {
  const given: unknown = options; // callers from JavaScript may pass anything
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      'enableOpenTelemetry() takes an options object ({ meterProvider, tracerProvider, includeKeys, traceHits }) or nothing.',
    );
  }
  const unknown = Object.keys(options).filter((name) => !OPTION_NAMES.includes(name));
  if (unknown.length > 0) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_UNKNOWN_OPTION',
      `enableOpenTelemetry() has no option ${unknown.join(', ')}; the options are ${OPTION_NAMES.join(', ')}.`,
    );
  }
  const { meterProvider, tracerProvider, includeKeys = false, traceHits = false } = options;
  assertProvider(meterProvider, 'meterProvider', 'getMeter');
  assertProvider(tracerProvider, 'tracerProvider', 'getTracer');
  assertBoolean(includeKeys, 'includeKeys');
  assertBoolean(traceHits, 'traceHits');
  return {
    meterProvider: meterProvider ?? metrics.getMeterProvider(),
    tracerProvider: tracerProvider ?? trace.getTracerProvider(),
    includeKeys,
    traceHits,
  };
}

function assertProvider(value: unknown, name: string, factory: string): void {
  if (value === undefined) return;
  const candidate = value as Record<string, unknown> | null;
  if (candidate === null || typeof candidate[factory] !== 'function') {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      `${name} must be an OpenTelemetry ${name === 'meterProvider' ? 'MeterProvider' : 'TracerProvider'} (an object with ${factory}()); leave it out to use the global one.`,
    );
  }
}

function assertBoolean(value: unknown, name: string): void {
  if (typeof value !== 'boolean') {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      `${name} must be true or false, got ${typeof value}.`,
    );
  }
}
