import {
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type {
  CacheCallContext,
  CacheGetContext,
  CacheGetManyContext,
  CacheInvalidateContext,
  CacheLoadContext,
} from '../index';
import { ATTR, errorTypeOf, withMethod } from './attributes';

/**
 * Spans for traced cache calls. A span starts on the channel's `start` event, which Node
 * publishes synchronously in the caller's async context, so `startSpan` picks up the span
 * active at the call as its parent; it ends on `asyncEnd`. A span carries the method, the key
 * prefix, counts and outcomes; keys, patterns and tags only with `includeKeys`; never a value,
 * and for a failure only `error.type`, not the message (a message may quote data).
 */
export class CacheSpans {
  /** Each open span, by the context object that travels through a call's events. */
  private readonly open = new WeakMap<object, Span>();

  constructor(
    private readonly tracer: Tracer,
    private readonly includeKeys: boolean,
  ) {}

  startGet(context: CacheGetContext): void {
    const attributes = this.common(context);
    if (this.includeKeys) attributes[ATTR.key] = context.key;
    this.start('cache_aside.get', context, attributes);
  }

  endGet(context: CacheGetContext): void {
    const span = this.take(context);
    if (span === undefined) return;
    if (context.outcome !== undefined) span.setAttribute(ATTR.outcome, context.outcome);
    if (context.tier !== undefined) span.setAttribute(ATTR.tier, context.tier);
    this.end(span, context);
  }

  startGetMany(context: CacheGetManyContext): void {
    const attributes = this.common(context);
    attributes[ATTR.keyCount] = context.keys.length;
    if (this.includeKeys) attributes[ATTR.keys] = [...context.keys];
    this.start('cache_aside.get_many', context, attributes);
  }

  endGetMany(context: CacheGetManyContext): void {
    const span = this.take(context);
    if (span === undefined) return;
    span.setAttributes({
      [ATTR.l1Hits]: context.l1Hits,
      [ATTR.redisHits]: context.redisHits,
      [ATTR.misses]: context.misses,
      [ATTR.stale]: context.stale,
      [ATTR.bypass]: context.bypass,
    });
    this.end(span, context);
  }

  startLoad(context: CacheLoadContext): void {
    const attributes = this.common(context);
    if (context.keys !== undefined) attributes[ATTR.keyCount] = context.keys.length;
    if (this.includeKeys) {
      if (context.key !== undefined) attributes[ATTR.key] = context.key;
      if (context.keys !== undefined) attributes[ATTR.keys] = [...context.keys];
    }
    this.start('cache_aside.load', context, attributes);
  }

  startInvalidate(context: CacheInvalidateContext): void {
    const attributes = this.common(context);
    attributes[ATTR.kind] = context.kind;
    if (context.keys !== undefined) attributes[ATTR.keyCount] = context.keys.length;
    if (this.includeKeys) {
      if (context.keys !== undefined) attributes[ATTR.keys] = [...context.keys];
      if (context.pattern !== undefined) attributes[ATTR.pattern] = context.pattern;
      if (context.tags !== undefined) attributes[ATTR.tags] = [...context.tags];
    }
    this.start('cache_aside.invalidate', context, attributes);
  }

  endInvalidate(context: CacheInvalidateContext): void {
    const span = this.take(context);
    if (span === undefined) return;
    if (context.count !== undefined) span.setAttribute(ATTR.count, context.count);
    this.end(span, context);
  }

  /** Ends the span of a call whose end adds nothing but its error, if any. */
  endPlain(context: CacheCallContext): void {
    const span = this.take(context);
    if (span !== undefined) this.end(span, context);
  }

  private common(context: CacheCallContext): Attributes {
    return withMethod({ [ATTR.keyPrefix]: context.keyPrefix }, context.method);
  }

  private start(name: string, context: object, attributes: Attributes): void {
    // No parent given: startSpan takes the active context, which here is the caller's.
    this.open.set(context, this.tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes }));
  }

  private take(context: object): Span | undefined {
    const span = this.open.get(context);
    this.open.delete(context);
    return span;
  }

  private end(span: Span, context: CacheCallContext): void {
    if ('error' in context) {
      span.setAttribute(ATTR.errorType, errorTypeOf(context.error));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  }
}
