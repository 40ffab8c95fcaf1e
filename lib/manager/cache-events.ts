import { EventEmitter } from 'node:events';
import type { CacheError } from '../errors/cache-error';

/** The events a manager emits, with their payloads. */
export interface CacheEvents {
  /** A lookup the cache answered (L1 or Redis). */
  hit: {
    /** As the caller gave it, without the prefix. */
    key: string;
    /** The call's label (`Class.method` for decorated methods). */
    label?: string;
  };
  /** A lookup the loader answered. */
  miss: {
    /** As the caller gave it, without the prefix. */
    key: string;
    /** The call's label (`Class.method` for decorated methods). */
    label?: string;
  };
  /** An entry written (a load stored, or `set`). */
  set: {
    /** As the caller gave it, without the prefix. */
    key: string;
  };
  /** An invalidation done: what it named and how many entries (or tags) it removed. */
  evict: {
    /** The keys removed by `invalidate`, without the prefix. */
    keys?: readonly string[];
    /** The glob `invalidatePattern` matched in Redis (after the escaped key prefix). */
    pattern?: string;
    /** The tags of `invalidateTags`. */
    tags?: readonly string[];
    /** Entries removed, or tags invalidated. */
    count: number;
  };
  /** A value past its TTL answered inside its grace window because the loader failed. */
  stale: {
    /** As the caller gave it, without the prefix. */
    key: string;
    /** The call's label (`Class.method` for decorated methods). */
    label?: string;
  };
  /**
   * `close()` gave up on invalidations still queued after `closeTimeoutMs` (Redis unreachable):
   * their entries may stay stale in Redis until their TTL. Also reported as an `'error'`
   * (`INVALIDATION_UNDELIVERED`).
   */
  undelivered: {
    /** Keys, patterns and tags not delivered (as `stats().pendingInvalidations` counts them). */
    count: number;
  };
  /** A Redis failure or an unreadable entry, absorbed: the caller was served anyway. */
  error: CacheError;
}

/** The name of an event a manager emits (`on`, `off`, `once`). */
export type CacheEventName = keyof CacheEvents;

/**
 * A typed emitter whose `'error'` event is never thrown when nobody listens (a cache error must
 * not crash the process that merely reads through the cache), and whose emit helpers cost one
 * listener count when nobody listens, so events are free on the hot path.
 */
export class CacheEventEmitter {
  private readonly emitter = new EventEmitter();

  on<E extends CacheEventName>(event: E, listener: (payload: CacheEvents[E]) => void): this {
    this.emitter.on(event, listener);
    return this;
  }

  off<E extends CacheEventName>(event: E, listener: (payload: CacheEvents[E]) => void): this {
    this.emitter.off(event, listener);
    return this;
  }

  once<E extends CacheEventName>(event: E, listener: (payload: CacheEvents[E]) => void): this {
    this.emitter.once(event, listener);
    return this;
  }

  /** True when someone listens, so callers can skip building a payload. */
  listens(event: CacheEventName): boolean {
    return this.emitter.listenerCount(event) > 0;
  }

  emit<E extends CacheEventName>(event: E, payload: CacheEvents[E]): void {
    if (this.emitter.listenerCount(event) > 0) this.emitter.emit(event, payload);
  }
}
