import type {
  CacheConfigMetadata,
  CacheEvictMetadata,
  CacheableMetadata,
  ConditionFunction,
  FreshnessMetadata,
  NullTtl,
  StoreMetadata,
  TtlSpec,
} from './cache-metadata';
import { FRESHNESS_OPTIONS } from './cache-metadata';
import { DEFAULT_MANAGER_NAME, currentClassConfigVersion, ownClassConfig } from './metadata-store';
import type { MethodRecord } from './method-record';
import { type AnyClass, isClass } from './any-class';

/*
 * Reading recorded metadata the way the interceptor needs it: the method's own settings beat
 * the class's, and a class inherits `@CacheConfig` settings from its ancestors (the nearest
 * class that sets a field wins).
 */

const merged = new WeakMap<AnyClass, { version: number; config: CacheConfigMetadata }>();
const EMPTY: CacheConfigMetadata = Object.freeze({});

/** The class configuration in force for instances (or static calls) of `ctor`. */
export function classConfigFor(ctor: AnyClass | undefined): CacheConfigMetadata {
  if (ctor === undefined) return EMPTY;
  const version = currentClassConfigVersion();
  const memo = merged.get(ctor);
  if (memo && memo.version === version) return memo.config;
  const chain: CacheConfigMetadata[] = [];
  for (
    let c: unknown = ctor;
    isClass(c) && c !== Function.prototype;
    c = Object.getPrototypeOf(c)
  ) {
    const own = ownClassConfig(c);
    if (own) chain.push(own);
  }
  // Farthest ancestor first, so that nearer classes overwrite: nearest wins field by field.
  const config: CacheConfigMetadata =
    chain.length === 0
      ? EMPTY
      : Object.freeze(
          chain.reduceRight<CacheConfigMetadata>((acc, own) => ({ ...acc, ...own }), {}),
        );
  merged.set(ctor, { version, config });
  return config;
}

/** `@CacheTtl` > the decorator's `ttl` > `@CacheConfig` ttl; `undefined`: the manager's default. */
export function ttlOf(
  record: MethodRecord,
  op: StoreMetadata,
  config: CacheConfigMetadata,
): TtlSpec | undefined {
  return record.ttl ?? op.ttl ?? config.ttl;
}

export function managerNameOf(
  op: StoreMetadata | CacheEvictMetadata,
  config: CacheConfigMetadata,
): string {
  return op.manager ?? config.manager ?? DEFAULT_MANAGER_NAME;
}

export function conditionOf(
  op: StoreMetadata | CacheEvictMetadata,
  config: CacheConfigMetadata,
): ConditionFunction | undefined {
  return op.condition ?? config.condition;
}

/** The method's `nullTtl` over the class's; `undefined`: the manager's policy. */
export function nullTtlOf(op: StoreMetadata, config: CacheConfigMetadata): NullTtl | undefined {
  return op.nullTtl ?? config.nullTtl;
}

/** Grace, stale-while-revalidate, eager refresh and loader timeouts: each method over class. */
export function freshnessOf(op: CacheableMetadata, config: CacheConfigMetadata): FreshnessMetadata {
  const resolved: { -readonly [K in keyof FreshnessMetadata]: FreshnessMetadata[K] } = {};
  for (const key of FRESHNESS_OPTIONS) {
    const value = op[key] ?? config[key];
    if (value !== undefined) resolved[key] = value;
  }
  return resolved;
}
