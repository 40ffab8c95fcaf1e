import { CacheError, type CacheErrorCode, type CacheOperation } from '../errors/cache-error';
import { errorCodeOf, redisFailureMessage } from './redis-error-code';
import { cacheChannels, publishError, type CacheManagerIdentity } from './cache-channels';
import { CacheEventEmitter } from './cache-events';
import { StatsRecorder } from './stats';

/** The identity of a `Telemetry` built outside a manager (unit specs of single parts). */
const UNREGISTERED: CacheManagerIdentity = Object.freeze({ id: 0, keyPrefix: '' });

/**
 * What a manager tells the world: counters for `stats()`, events for listeners and the
 * `cache-aside:error` channel, in one place so every path reports the same way. Each method
 * costs a counter increment, plus a payload only when someone listens.
 */
export class Telemetry {
  readonly counters = new StatsRecorder();
  readonly events = new CacheEventEmitter();

  /** `identity`: the manager's registration, named by everything it publishes on a channel. */
  constructor(readonly identity: CacheManagerIdentity = UNREGISTERED) {}

  /** Counts a lookup the cache answered and emits `'hit'` when someone listens. */
  hit(key: string, label: string | undefined): void {
    this.counters.hit(label);
    if (this.events.listens('hit')) this.events.emit('hit', { key, label });
  }

  /** Counts a lookup the loader answered and emits `'miss'` when someone listens. */
  miss(key: string, label: string | undefined): void {
    this.counters.miss(label);
    if (this.events.listens('miss')) this.events.emit('miss', { key, label });
  }

  /** Counts an entry written and emits `'set'` when someone listens. */
  stored(key: string): void {
    this.counters.sets++;
    if (this.events.listens('set')) this.events.emit('set', { key });
  }

  /** Counts a stale value served (grace or stale-while-revalidate) and emits `'stale'`. */
  staleServed(key: string, label: string | undefined): void {
    this.counters.staleServed++;
    if (this.events.listens('stale')) this.events.emit('stale', { key, label });
  }

  /**
   * Counts an error, emits it as a `CacheError` and publishes it on `cache-aside:error`; never
   * throws, listened to or not. The error is built only when someone listens.
   */
  report(
    code: CacheErrorCode,
    message: string,
    operation: CacheOperation,
    key?: string,
    cause?: unknown,
    label?: string,
  ): void {
    this.counters.error(label);
    const toEvents = this.events.listens('error');
    const toChannel = cacheChannels.error.hasSubscribers;
    if (!toEvents && !toChannel) return;
    const error = new CacheError(code, message, { operation, key, cause });
    if (toEvents) this.events.emit('error', error);
    if (toChannel) publishError(this.identity, error, label);
  }

  /**
   * Reports a loaded value not stored because it came `loadMs` after its lease was taken (at
   * least: measured from a point after the take, when the store was sent), past the lease's life.
   */
  leaseExpired(
    loadMs: number,
    leaseTtlMs: number,
    operation: CacheOperation,
    key?: string,
    label?: string,
  ): void {
    this.report(
      'LEASE_EXPIRED',
      `the value came ${Math.round(loadMs)} ms after its load lease was taken, longer than leaseTtlMs ` +
        `(${leaseTtlMs} ms): the lease had expired, so the value was returned but not stored; ` +
        'set leaseTtlMs above the slowest load',
      operation,
      key,
      undefined,
      label,
    );
  }

  /** Reports a failed Redis command, classified as timeout, error reply or unreachable. */
  redisFailed(error: unknown, operation: CacheOperation, key?: string, label?: string): void {
    const code = errorCodeOf(error);
    const message = redisFailureMessage(code, error);
    this.report(code, message, operation, key, error, label);
  }
}
