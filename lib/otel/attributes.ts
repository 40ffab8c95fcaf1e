import type { Attributes } from '@opentelemetry/api';
import { CacheError } from '../index';

/** The attribute names this integration sets, in one place (Prometheus shows dots as `_`). */
export const ATTR = Object.freeze({
  outcome: 'cache_aside.outcome',
  tier: 'cache_aside.tier',
  method: 'cache_aside.method',
  kind: 'cache_aside.kind',
  keyPrefix: 'cache_aside.key_prefix',
  managerId: 'cache_aside.manager.id',
  operation: 'cache_aside.operation',
  key: 'cache_aside.key',
  keys: 'cache_aside.keys',
  keyCount: 'cache_aside.keys.count',
  pattern: 'cache_aside.pattern',
  tags: 'cache_aside.tags',
  count: 'cache_aside.count',
  l1Hits: 'cache_aside.l1_hits',
  redisHits: 'cache_aside.redis_hits',
  misses: 'cache_aside.misses',
  stale: 'cache_aside.stale',
  bypass: 'cache_aside.bypass',
  errorType: 'error.type',
} as const);

/**
 * A low-cardinality name for what failed, as OpenTelemetry's `error.type` asks: the `code` of a
 * `CacheError`, else the error's class name, else `_OTHER`. Never the message: it may hold data.
 */
export function errorTypeOf(error: unknown): string {
  if (error instanceof CacheError) return error.code;
  if (error instanceof Error) return error.constructor.name || error.name;
  return '_OTHER';
}

/** `attributes` with `method` added when the call came from a decorated method. */
export function withMethod(attributes: Attributes, method: string | undefined): Attributes {
  if (method !== undefined) attributes[ATTR.method] = method;
  return attributes;
}
