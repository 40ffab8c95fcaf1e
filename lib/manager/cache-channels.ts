import {
  channel,
  tracingChannel,
  type Channel,
  type TracingChannel,
} from 'node:diagnostics_channel';
import type { CacheError } from '../errors/cache-error';

/**
 * What the manager publishes on `node:diagnostics_channel`, the standard that undici, fastify
 * and the database drivers publish on: one `TracingChannel` per operation, plus a plain channel
 * for the errors the manager reports. OpenTelemetry (`cache-aside/otel`) and any user's own
 * subscriber read the same events. Nothing here costs more than a `hasSubscribers` check while
 * nobody subscribes: the manager builds a context only inside `if (channel.hasSubscribers)`.
 *
 * Also here: the registry of live managers, which lets observable gauges (circuit state, L1
 * entries) read every manager at collection time without holding any of them alive.
 */

/** The channel names, as a subscriber passes them to `diagnostics_channel.tracingChannel()`. */
export const CACHE_CHANNEL_NAMES = Object.freeze({
  /** Each `get` (and `@Cacheable` call): a `CacheGetContext`. */
  get: 'cache-aside:get',
  /** Each `getMany` (and `@CacheableMany` call): a `CacheGetManyContext`. */
  getMany: 'cache-aside:getMany',
  /** Each `set` (and `@CachePut` store): a `CacheSetContext`. */
  set: 'cache-aside:set',
  /** Each invalidation by key, pattern or tags: a `CacheInvalidateContext`. */
  invalidate: 'cache-aside:invalidate',
  /** Each loader call: a `CacheLoadContext`. */
  load: 'cache-aside:load',
  /** A plain channel (not a tracing one): each message is a `CacheErrorMessage`. */
  error: 'cache-aside:error',
} as const);

// ── contexts ─────────────────────────────────────────────────────────────────

/** Which manager an event comes from; stable for the manager's life. */
export interface CacheManagerIdentity {
  /** Unique among the managers of this process, counting from 1. */
  readonly id: number;
  /** The manager's key prefix. */
  readonly keyPrefix: string;
}

/** The fields every traced call carries. */
export interface CacheCallContext {
  /** Which manager published the event. */
  readonly manager: CacheManagerIdentity;
  /** The manager's key prefix (the same as `manager.keyPrefix`). */
  readonly keyPrefix: string;
  /** `'Class.method'` for a call made by a decorated method, otherwise `undefined`. */
  readonly method: string | undefined;
  /** Set by Node (on `error` and after) when the call throws or rejects. */
  error?: unknown;
  /**
   * Set by Node (on `asyncStart`/`asyncEnd`) to what the call resolved with: for reads and loads
   * that is the cached value itself, so never log or export it.
   */
  result?: unknown;
}

/** What answered a read: the cache (fresh or stale), the loader, or the loader without the cache. */
export type CacheLookupOutcome = 'hit' | 'miss' | 'stale' | 'bypass';
/** Which tier answered a hit: the in-process L1 tier or Redis. */
export type CacheTier = 'l1' | 'redis';

/** `cache-aside:get`: one `manager.get` (and every `@Cacheable` call). */
export interface CacheGetContext extends CacheCallContext {
  /** As the caller gave it, without the prefix. */
  readonly key: string;
  /** Set before `asyncEnd`: `'bypass'` when Redis was skipped or failed and the loader answered. */
  outcome: CacheLookupOutcome | undefined;
  /** Set before `asyncEnd` for `'hit'` and `'stale'`: which tier answered. */
  tier: CacheTier | undefined;
}

/** `cache-aside:getMany`: one `manager.getMany` (and every `@CacheableMany` call). */
export interface CacheGetManyContext extends CacheCallContext {
  /** As the caller gave them, without the prefix, in the order given. */
  readonly keys: readonly string[];
  /** Set before `asyncEnd`: how many of `keys` each tier answered, and how many the loader did. */
  l1Hits: number;
  /** Keys Redis answered fresh. */
  redisHits: number;
  /** Keys the loader was asked for (or joined a load in flight). */
  misses: number;
  /**
   * Keys answered by an old value inside its grace window: a load in flight that this batch
   * joined failed (or was slow) and served it. Counted apart from `misses`.
   */
  stale: number;
  /** Set before `asyncEnd`: Redis was skipped or failed, so the misses bypassed the cache. */
  bypass: boolean;
}

/** `cache-aside:set`: one `manager.set` (and every `@CachePut` store). */
export interface CacheSetContext extends CacheCallContext {
  /** As the caller gave it, without the prefix. */
  readonly key: string;
}

/** What an invalidation names: keys, a glob pattern, or tags. */
export type CacheInvalidationKind = 'key' | 'pattern' | 'tags';

/** `cache-aside:invalidate`: one `invalidate`, `invalidatePattern` or `invalidateTags`. */
export interface CacheInvalidateContext extends CacheCallContext {
  /** Keys, a pattern, or tags. */
  readonly kind: CacheInvalidationKind;
  /** `kind: 'key'`: the key when one was given, and every key in `keys`. */
  readonly key: string | undefined;
  /** `kind: 'key'`: every key, as the caller gave it. */
  readonly keys: readonly string[] | undefined;
  /** `kind: 'pattern'`: the glob, relative to the prefix. */
  readonly pattern: string | undefined;
  /** `kind: 'tags'` */
  readonly tags: readonly string[] | undefined;
  /** Set before `asyncEnd`: what the call resolved with (entries removed, or tags invalidated). */
  count: number | undefined;
}

/** `cache-aside:load`: one loader call on a miss, so its time shows apart from the cache's. */
export interface CacheLoadContext extends CacheCallContext {
  /** The key of a `get`'s loader; `undefined` for a batch load. */
  readonly key: string | undefined;
  /** The missing keys a `getMany` loader was asked for; `undefined` for a single load. */
  readonly keys: readonly string[] | undefined;
}

/** A message on `cache-aside:error`: the same `CacheError` the manager's `'error'` event gets. */
export interface CacheErrorMessage {
  /** Which manager reported it. */
  readonly manager: CacheManagerIdentity;
  /** The manager's key prefix. */
  readonly keyPrefix: string;
  /** `'Class.method'` for a call made by a decorated method, otherwise `undefined`. */
  readonly method: string | undefined;
  /** The error as the `'error'` event gets it. */
  readonly error: CacheError;
}

// ── channels ─────────────────────────────────────────────────────────────────

function traced<C extends object>(name: string): TracingChannel<unknown, C> {
  return withHasSubscribers(tracingChannel<unknown, C>(name));
}

/**
 * Node added `TracingChannel#hasSubscribers` in 20.13; on an older 20.x this own property gives
 * the same answer, so the manager's check is one property read on every version.
 */
export function withHasSubscribers<C extends object>(
  traceChannel: TracingChannel<unknown, C>,
): TracingChannel<unknown, C> {
  if (typeof (traceChannel as { hasSubscribers?: unknown }).hasSubscribers !== 'boolean') {
    Object.defineProperty(traceChannel, 'hasSubscribers', {
      get: () =>
        traceChannel.start.hasSubscribers ||
        traceChannel.end.hasSubscribers ||
        traceChannel.asyncStart.hasSubscribers ||
        traceChannel.asyncEnd.hasSubscribers ||
        traceChannel.error.hasSubscribers,
    });
  }
  return traceChannel;
}

/** The channels the manager publishes on. Check `hasSubscribers` before calling any helper. */
export const cacheChannels: {
  readonly get: TracingChannel<unknown, CacheGetContext>;
  readonly getMany: TracingChannel<unknown, CacheGetManyContext>;
  readonly set: TracingChannel<unknown, CacheSetContext>;
  readonly invalidate: TracingChannel<unknown, CacheInvalidateContext>;
  readonly load: TracingChannel<unknown, CacheLoadContext>;
  readonly error: Channel<unknown, CacheErrorMessage>;
} = Object.freeze({
  get: traced<CacheGetContext>(CACHE_CHANNEL_NAMES.get),
  getMany: traced<CacheGetManyContext>(CACHE_CHANNEL_NAMES.getMany),
  set: traced<CacheSetContext>(CACHE_CHANNEL_NAMES.set),
  invalidate: traced<CacheInvalidateContext>(CACHE_CHANNEL_NAMES.invalidate),
  load: traced<CacheLoadContext>(CACHE_CHANNEL_NAMES.load),
  error: channel(CACHE_CHANNEL_NAMES.error) as Channel<unknown, CacheErrorMessage>,
});

// ── helpers the manager calls, each only inside `if (cacheChannels.X.hasSubscribers)` ──

/** Runs a read traced on `cache-aside:get`; `read` notes the outcome with `noteLookup`. */
export function traceGet<T>(
  manager: CacheManagerIdentity,
  key: string,
  method: string | undefined,
  read: (trace: CacheGetContext) => Promise<T>,
): Promise<T> {
  const trace: CacheGetContext = {
    manager,
    keyPrefix: manager.keyPrefix,
    method,
    key,
    outcome: undefined,
    tier: undefined,
  };
  return cacheChannels.get.tracePromise(read, trace, undefined, trace);
}

/** Notes what answered a traced read; a no-op when the read is not traced. */
export function noteLookup(
  trace: CacheGetContext | undefined,
  outcome: CacheLookupOutcome,
  tier?: CacheTier,
): void {
  if (trace === undefined) return;
  trace.outcome = outcome;
  trace.tier = tier;
}

/** Runs a batch read traced on `cache-aside:getMany`; `read` notes counts with `noteBatch`. */
export function traceGetMany<T>(
  manager: CacheManagerIdentity,
  keys: readonly string[],
  method: string | undefined,
  read: (trace: CacheGetManyContext) => Promise<T>,
): Promise<T> {
  const trace: CacheGetManyContext = {
    manager,
    keyPrefix: manager.keyPrefix,
    method,
    keys,
    l1Hits: 0,
    redisHits: 0,
    misses: 0,
    stale: 0,
    bypass: false,
  };
  return cacheChannels.getMany.tracePromise(read, trace, undefined, trace);
}

/**
 * Notes how a traced batch read was answered (how many keys the L1 tier, Redis and the loader
 * answered; `bypass` when Redis was skipped or failed); a no-op when it is not traced.
 */
export function noteBatch(
  trace: CacheGetManyContext | undefined,
  l1Hits: number,
  redisHits: number,
  misses: number,
  bypass: boolean,
): void {
  if (trace === undefined) return;
  trace.l1Hits = l1Hits;
  trace.redisHits = redisHits;
  trace.misses = misses;
  trace.bypass = bypass;
}

/**
 * Notes that `count` keys of a traced batch read, counted as misses, were answered by a joined
 * load from its grace window; a no-op when it is not traced.
 */
export function noteBatchStale(trace: CacheGetManyContext | undefined, count: number): void {
  if (trace === undefined) return;
  trace.misses -= count;
  trace.stale += count;
}

/**
 * Runs a loader traced on `cache-aside:load`: `target` is the key (a `get`'s loader) or the
 * missing keys (a batch loader). A loader that returns a plain value or throws synchronously is
 * traced the same way as an async one: the result is always a promise.
 */
export function traceLoad<T>(
  manager: CacheManagerIdentity,
  target: string | readonly string[],
  method: string | undefined,
  load: () => T | Promise<T>,
): Promise<T> {
  const single = typeof target === 'string';
  const trace: CacheLoadContext = {
    manager,
    keyPrefix: manager.keyPrefix,
    method,
    key: single ? target : undefined,
    keys: single ? undefined : target,
  };
  return cacheChannels.load.tracePromise(async () => load(), trace);
}

/** Runs a write traced on `cache-aside:set`. */
export function traceSet(
  manager: CacheManagerIdentity,
  key: string,
  method: string | undefined,
  write: () => Promise<void>,
): Promise<void> {
  const trace: CacheSetContext = { manager, keyPrefix: manager.keyPrefix, method, key };
  return cacheChannels.set.tracePromise(write, trace);
}

/** What an invalidation names, as the caller gave it (without the prefix). */
export type InvalidationTarget =
  | { readonly kind: 'key'; readonly keys: readonly string[] }
  | { readonly kind: 'pattern'; readonly pattern: string }
  | { readonly kind: 'tags'; readonly tags: readonly string[] };

/** Runs an invalidation traced on `cache-aside:invalidate`; the count it resolves with is noted. */
export function traceInvalidate(
  manager: CacheManagerIdentity,
  target: InvalidationTarget,
  method: string | undefined,
  run: () => Promise<number>,
): Promise<number> {
  const keys = target.kind === 'key' ? target.keys : undefined;
  const trace: CacheInvalidateContext = {
    manager,
    keyPrefix: manager.keyPrefix,
    method,
    kind: target.kind,
    key: keys?.length === 1 ? keys[0] : undefined,
    keys,
    pattern: target.kind === 'pattern' ? target.pattern : undefined,
    tags: target.kind === 'tags' ? target.tags : undefined,
    count: undefined,
  };
  return cacheChannels.invalidate.tracePromise(async () => {
    const count = await run();
    trace.count = count;
    return count;
  }, trace);
}

/** Publishes a reported error on `cache-aside:error`; call when `cacheChannels.error.hasSubscribers`. */
export function publishError(
  manager: CacheManagerIdentity,
  error: CacheError,
  method: string | undefined,
): void {
  const message: CacheErrorMessage = { manager, keyPrefix: manager.keyPrefix, method, error };
  cacheChannels.error.publish(message);
}

// ── live managers, for observable gauges ─────────────────────────────────────

/** What a manager lets observers read about itself; each function is called at collection time. */
export interface ManagerProbe {
  /** The manager's key prefix. */
  readonly keyPrefix: string;
  /** True while the circuit breaker is not closed (open, or half-open while it probes Redis). */
  circuitOpen(): boolean;
  /** Entries in the in-process tier, or `undefined` when the manager has none. */
  l1Entries(): number | undefined;
}

/** A manager as an observer sees it at one moment. */
export interface CacheManagerSnapshot {
  /** Which manager this is. */
  readonly manager: CacheManagerIdentity;
  /** True while the circuit breaker is not closed. */
  readonly circuitOpen: boolean;
  /** `undefined` when the manager has no in-process tier. */
  readonly l1Entries: number | undefined;
}

/**
 * A manager's entry in the registry. The manager keeps it in a field: the registry holds it only
 * weakly, so a manager nobody references is collected and drops out on its own.
 */
export class ManagerRegistration {
  readonly identity: CacheManagerIdentity;

  constructor(
    id: number,
    readonly probe: ManagerProbe,
  ) {
    this.identity = Object.freeze({ id, keyPrefix: probe.keyPrefix });
  }

  /** Leaves the registry at once (on `close()`); calling it again does nothing. */
  unregister(): void {
    liveManagers.delete(this.identity.id);
  }
}

let lastManagerId = 0;
const liveManagers = new Map<number, WeakRef<ManagerRegistration>>();
const collected = new FinalizationRegistry<number>((id) => {
  const ref = liveManagers.get(id);
  if (ref !== undefined && ref.deref() === undefined) liveManagers.delete(id);
});

/** Adds a manager to the registry (at construction); keep the result for its whole life. */
export function registerManager(probe: ManagerProbe): ManagerRegistration {
  const registration = new ManagerRegistration(++lastManagerId, probe);
  liveManagers.set(registration.identity.id, new WeakRef(registration));
  collected.register(registration, registration.identity.id);
  return registration;
}

/** Every live, registered manager as it is now: what observable gauges report. */
export function observeCacheManagers(): CacheManagerSnapshot[] {
  const snapshots: CacheManagerSnapshot[] = [];
  for (const [id, ref] of liveManagers) {
    const registration = ref.deref();
    if (registration === undefined) {
      liveManagers.delete(id);
      continue;
    }
    const { identity, probe } = registration;
    snapshots.push({
      manager: identity,
      circuitOpen: probe.circuitOpen(),
      l1Entries: probe.l1Entries(),
    });
  }
  return snapshots;
}
