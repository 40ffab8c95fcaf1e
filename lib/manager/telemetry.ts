import { CacheError, type CacheErrorCode, type CacheOperation } from '../errors/cache-error';
import { errorCodeOf } from './redis-error-code';
import { CacheEventEmitter } from './cache-events';
import { StatsRecorder } from './stats';

/**
 * What a manager tells the world: counters for `stats()` and events for listeners, in one place
 * so every path reports the same way. Each method costs a counter increment, plus a payload only
 * when someone listens.
 */
export class Telemetry {
  readonly counters = new StatsRecorder();
  readonly events = new CacheEventEmitter();

  hit(key: string, label: string | undefined): void {
    this.counters.hit(label);
    if (this.events.listens('hit')) this.events.emit('hit', { key, label });
  }

  miss(key: string, label: string | undefined): void {
    this.counters.miss(label);
    if (this.events.listens('miss')) this.events.emit('miss', { key, label });
  }

  stored(key: string): void {
    this.counters.sets++;
    if (this.events.listens('set')) this.events.emit('set', { key });
  }

  staleServed(key: string, label: string | undefined): void {
    this.counters.staleServed++;
    if (this.events.listens('stale')) this.events.emit('stale', { key, label });
  }

  /** Counts an error and emits it as a `CacheError`; never throws, listened to or not. */
  report(
    code: CacheErrorCode,
    message: string,
    operation: CacheOperation,
    key?: string,
    cause?: unknown,
    label?: string,
  ): void {
    this.counters.error(label);
    if (this.events.listens('error'))
      this.events.emit('error', new CacheError(code, message, { operation, key, cause }));
  }

  /** Reports a failed Redis command, classified as timeout, error reply or unreachable. */
  redisFailed(error: unknown, operation: CacheOperation, key?: string, label?: string): void {
    const code = errorCodeOf(error);
    const message =
      code === 'REDIS_TIMEOUT'
        ? 'Redis did not answer within operationTimeoutMs; served without the cache'
        : code === 'REDIS_ERROR'
          ? `Redis answered with an error (${(error as Error).message}); served without the cache`
          : 'Redis is unreachable; served without the cache';
    this.report(code, message, operation, key, error, label);
  }
}
