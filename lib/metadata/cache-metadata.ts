import type { ClassType } from '../serializers/class-transformer.serializer';
import type { Serializer } from '../serializers/serializer';

/*
 * The options users write on decorators, and the validated form the decorators record.
 *
 * Callback parameters are typed `any` on purpose: it is what lets a user annotate them
 * (`key: (id: number) => ...`, `ttl: (user: User) => ...`) or leave them unannotated, since a
 * callback is called with the method's own arguments and result, whose types the options object
 * cannot know. Everything the library itself handles is typed precisely.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- callback parameters, see above */

/** A key computed from the method's arguments; called with the instance as `this`. */
export type KeyFunction = (this: any, ...args: any[]) => string;
/** A template such as `'user:{0}'` or `'order:{1.id}'`, or a key function. */
export type KeyOption = string | KeyFunction;
/** A TTL computed from the result (and the arguments); `0` or less keeps the result out of the cache. */
export type TtlFunction = (this: any, result: any, ...args: any[]) => number;
/** Seconds (`Infinity`: no expiry), or a function of the result and the arguments. */
export type TtlSpec = number | TtlFunction;
/** `false` bypasses the cache for that call. */
export type ConditionFunction = (this: any, ...args: any[]) => boolean;
/** `true` keeps that result out of the cache. */
export type UnlessFunction = (this: any, result: any, ...args: any[]) => boolean;
/** Tags stored with the entry (or invalidated), fixed or computed from the arguments. */
export type TagsOption = readonly string[] | ((this: any, ...args: any[]) => readonly string[]);
/**
 * The tenant of one call, from the instance (`this`) and the arguments, or from a request
 * context (AsyncLocalStorage): a non-empty string.
 */
export type TenantFunction = (this: any, ...args: any[]) => string;
/** `false`: do not store null/undefined results; seconds: store them for that long. */
export type NullTtl = number | false;
/** Several keys: templates and key functions, or one function returning them all. */
export type KeysOption = readonly KeyOption[] | ((this: any, ...args: any[]) => readonly string[]);
/* eslint-enable @typescript-eslint/no-explicit-any -- back to precise types */

/** Options of `@Cacheable`. */
export interface CacheableOptions {
  /** A template (`'user:{0}'`, `'{1.id}'`) or a function of the arguments. @default a stable key of class, method and arguments */
  key?: KeyOption;
  /** Seconds, or `(result, ...args) => seconds`. @default `@CacheConfig` ttl, else the manager's `defaultTtl` */
  ttl?: TtlSpec;
  /** `(...args) => boolean`; `false` calls the method without the cache. @default always cache */
  condition?: ConditionFunction;
  /** `(result, ...args) => boolean`; `true` returns the result without storing it. @default store every result */
  unless?: UnlessFunction;
  /** Encoding of this method's values. @default the manager's serializer */
  serializer?: Serializer;
  /** Values come back as instances of this class: short for `serializer: new ClassTransformerSerializer(type)`. */
  type?: ClassType;
  /** Tags stored with the entry, for `invalidateTags` / `@CacheEvict({ tags })`. @default none */
  tags?: TagsOption;
  /** Seconds after the TTL during which the old value answers if the method fails. @default `@CacheConfig` grace, else 0 */
  grace?: number;
  /** Seconds after the TTL during which the old value answers at once while one background call refreshes it. @default `@CacheConfig` staleWhileRevalidate, else 0 */
  staleWhileRevalidate?: number;
  /** Fraction of the TTL after which a hit refreshes the entry in the background. @default `@CacheConfig` eagerRefresh, else off */
  eagerRefresh?: number;
  /** Milliseconds after which an old value inside its grace window answers instead of a slow method (which goes on and stores). @default `@CacheConfig` softTimeoutMs, else off */
  softTimeoutMs?: number;
  /** Milliseconds after which the caller stops waiting for the method: the old value inside grace, or a `LOADER_TIMEOUT` error. @default `@CacheConfig` hardTimeoutMs, else off */
  hardTimeoutMs?: number;
  /** Name of the manager registered with `CacheInterceptor.use(manager, name)`. @default `@CacheConfig` manager, else 'default' */
  manager?: string;
  /**
   * `null`/`undefined` results: `false` keeps them out of the cache (the method runs again next
   * time); a number stores them for that many seconds (e.g. a short-lived "not found").
   * @default `@CacheConfig` nullTtl, else the manager's policy (by default, like any value)
   */
  nullTtl?: NullTtl;
}

/**
 * Options of `@CacheableMany`, the batch form of `@Cacheable` for methods such as
 * `findByIds(ids: number[]): Promise<User[]>`. Each id is cached under its own key; `key`,
 * `ttl`, `unless` and `condition` see the arguments described on each option.
 */
export interface CacheableManyOptions {
  /**
   * The key of one item: a template or a function applied to the item's arguments — the call's
   * arguments with the id in place of the list (`'user:{0}'`, `(id: number) => \`user:${id}\``).
   * Every other declared parameter of the method must be part of it (a template placeholder, or
   * a parameter of the key function), so that calls differing in them do not share entries.
   * @default a stable key of class, method and the item's arguments
   */
  key?: KeyOption;
  /** Position of the argument that holds the array of ids. @default 0 */
  ids?: number;
  /** Seconds, or `(item, ...args) => seconds` per loaded item (with the call's arguments). @default as `@Cacheable` */
  ttl?: TtlSpec;
  /** `(...args) => boolean` on the call's arguments; `false` calls the method without the cache. @default always cache */
  condition?: ConditionFunction;
  /** `(item, ...args) => boolean` per loaded item; `true` returns that item without storing it. @default store every item */
  unless?: UnlessFunction;
  /** Encoding of each item. @default the manager's serializer */
  serializer?: Serializer;
  /** Each item comes back as an instance of this class. */
  type?: ClassType;
  /** Tags stored with every item of the call: fixed, or `(...args) => string[]` on the call's arguments. @default none */
  tags?: TagsOption;
  /** Name of the manager registered with `CacheInterceptor.use(manager, name)`. @default `@CacheConfig` manager, else 'default' */
  manager?: string;
  /** `null`/`undefined` items: `false` keeps them out of the cache; seconds: stored that long. @default as `@Cacheable` */
  nullTtl?: NullTtl;
}

/** Options of `@CachePut`: the method always runs, and its result is stored. */
export interface CachePutOptions {
  /** The key written: the same template or function as the `@Cacheable` method it refreshes. @default a stable key of class, method and arguments */
  key?: KeyOption;
  /** Seconds, or `(result, ...args) => seconds`. @default `@CacheConfig` ttl, else the manager's `defaultTtl` */
  ttl?: TtlSpec;
  /** `(...args) => boolean`; `false` runs the method without storing its result. @default always store */
  condition?: ConditionFunction;
  /** `(result, ...args) => boolean`; `true` keeps that result out of the cache. @default never */
  unless?: UnlessFunction;
  /** How the result is stored; use the one the reading `@Cacheable` uses. @default the manager's serializer */
  serializer?: Serializer;
  /** Short for `serializer: new ClassTransformerSerializer(type)`; not with `serializer`. */
  type?: ClassType;
  /** Tags stored with the entry, fixed or from the arguments, for `invalidateTags`. @default none */
  tags?: TagsOption;
  /** Name of the registered manager to write through. @default `@CacheConfig` manager, else `'default'` */
  manager?: string;
  /** A `null`/`undefined` result: `false` removes the entry instead of storing it; seconds: stored that long. @default as `@Cacheable` */
  nullTtl?: NullTtl;
}

/** Options of `@CacheEvict`. */
export interface CacheEvictOptions {
  /** One key to remove. */
  key?: KeyOption;
  /** Several keys to remove. */
  keys?: KeysOption;
  /** A Redis glob relative to the namespace (`'user:{0}:*'`); values put into it are glob-escaped. */
  pattern?: KeyOption;
  /** Every entry stored with any of these tags stops being served. */
  tags?: TagsOption;
  /** Every entry of the class's namespace (requires `@CacheConfig({ namespace })`). @default false */
  allEntries?: boolean;
  /** Evict before the method runs (even if it then throws). @default false: after it succeeds */
  beforeInvocation?: boolean;
  /** `(...args) => boolean`; `false` skips the eviction for that call. @default always evict */
  condition?: ConditionFunction;
  /** Name of the registered manager to evict from. @default `@CacheConfig` manager, else `'default'` */
  manager?: string;
}

/** Options of `@CacheConfig`: class-level defaults, overridden by each method's own. */
export interface CacheConfigOptions {
  /** Key segment between the manager's `keyPrefix` and the key: `prefix + namespace + ':' + key`. @default none */
  namespace?: string;
  /** Class-wide TTL in seconds (or a function of the result), below each method's own. @default the manager's `defaultTtl` */
  ttl?: TtlSpec;
  /** Name of the registered manager the class's methods use. @default `'default'` */
  manager?: string;
  /** Class-wide `condition`: `false` calls the method without the cache. @default always cache */
  condition?: ConditionFunction;
  /** Class-wide `grace`: seconds after the TTL during which the old value answers if the method fails. @default 0 */
  grace?: number;
  /** Class-wide `staleWhileRevalidate`: seconds after the TTL the old value answers while one background call refreshes it. @default 0 */
  staleWhileRevalidate?: number;
  /** Class-wide `eagerRefresh`: fraction of the TTL after which a hit refreshes the entry in the background. @default off */
  eagerRefresh?: number;
  /** Class-wide `softTimeoutMs`: an old value inside grace answers instead of a method slower than this. @default off */
  softTimeoutMs?: number;
  /** Class-wide `hardTimeoutMs`: the caller stops waiting for the method after this many milliseconds. @default off */
  hardTimeoutMs?: number;
  /** Class-wide `nullTtl` of `@Cacheable`, `@CacheableMany` and `@CachePut`. */
  nullTtl?: NullTtl;
  /**
   * Keys per tenant: a function called on every call (with the instance as `this` and the
   * method's arguments) returning the tenant's id. Every key, pattern, `allEntries` and tag of
   * the class's methods is then confined to that tenant (see docs/tenants.md). @default none
   */
  tenant?: TenantFunction;
}

// ── the recorded (validated, compiled) form ──────────────────────────────────

/** One piece of a parsed key template: literal text, or `{index.path.to.value}`. */
export type TemplatePart =
  | { readonly text: string }
  | { readonly index: number; readonly path: readonly string[]; readonly source: string };

/** How a key is built at call time. */
export type KeyPlan =
  | { readonly kind: 'default' }
  | { readonly kind: 'function'; readonly fn: KeyFunction }
  | { readonly kind: 'template'; readonly source: string; readonly parts: readonly TemplatePart[] };

/** What `@Cacheable` and `@CachePut` share once validated. */
export interface StoreMetadata {
  readonly key: KeyPlan;
  readonly ttl?: TtlSpec;
  readonly condition?: ConditionFunction;
  readonly unless?: UnlessFunction;
  readonly serializer?: Serializer;
  readonly tags?: TagsOption;
  readonly manager?: string;
  readonly nullTtl?: NullTtl;
}

/** How a cached read may answer with an old value or refresh early (see `GetOptions`). */
export interface FreshnessMetadata {
  readonly grace?: number;
  readonly staleWhileRevalidate?: number;
  readonly eagerRefresh?: number;
  readonly softTimeoutMs?: number;
  readonly hardTimeoutMs?: number;
}

export interface CacheableMetadata extends StoreMetadata, FreshnessMetadata {}

/** The names of the freshness options, in one place for the decorators and the reader. */
export const FRESHNESS_OPTIONS = [
  'grace',
  'staleWhileRevalidate',
  'eagerRefresh',
  'softTimeoutMs',
  'hardTimeoutMs',
] as const;

export type CachePutMetadata = StoreMetadata;

export interface CacheableManyMetadata extends StoreMetadata {
  /** Position of the argument that holds the ids. */
  readonly idsIndex: number;
}

export interface CacheEvictMetadata {
  /** `key` and the templates/functions of `keys`, in that order. */
  readonly keys: readonly KeyPlan[];
  /** `keys` given as one function returning every key. */
  readonly keysFunction?: (this: unknown, ...args: unknown[]) => readonly string[];
  readonly pattern?: KeyPlan;
  readonly tags?: TagsOption;
  readonly allEntries: boolean;
  readonly beforeInvocation: boolean;
  readonly condition?: ConditionFunction;
  readonly manager?: string;
}

export interface CacheConfigMetadata {
  readonly namespace?: string;
  readonly ttl?: TtlSpec;
  readonly manager?: string;
  readonly condition?: ConditionFunction;
  readonly grace?: number;
  readonly staleWhileRevalidate?: number;
  readonly eagerRefresh?: number;
  readonly softTimeoutMs?: number;
  readonly hardTimeoutMs?: number;
  readonly nullTtl?: NullTtl;
  readonly tenant?: TenantFunction;
}
