import { CacheTypeError } from '../errors/cache-type-error';
import {
  assertFraction,
  assertFunction,
  assertNonNegative,
  assertPositive,
  assertTtl,
  describe,
} from '../errors/invalid-argument';
import { compileKey } from '../metadata/key-template';
import type {
  CacheableOptions,
  CachePutOptions,
  FreshnessMetadata,
  NullTtl,
  StoreMetadata,
  TagsOption,
  TtlSpec,
} from '../metadata/cache-metadata';
import type { ClassType } from '../serializers/class-transformer.serializer';
import { assertSerializer, type Serializer } from '../serializers/serializer';
import { serializerForType } from './type-serializer';

/*
 * Validation of decorator options, run when the decorator factory is called — that is, while the
 * class is being defined — so that a mistake fails at startup with a message naming the option,
 * not on the first cache miss in production.
 */

/** Reads `options` as an object whose keys are all among `known` (catches typos such as `ttL`). */
export function optionsObject<T extends object>(
  decorator: string,
  options: unknown,
  known: readonly (keyof T)[],
): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      `${decorator}() takes an options object, got ${describe(options)}.`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!(known as readonly string[]).includes(key)) {
      throw new CacheTypeError(
        'ERR_CACHE_ASIDE_UNKNOWN_OPTION',
        `${decorator}() has no option "${key}"; its options are ${known.join(', ')}.`,
      );
    }
  }
  return options as T;
}

export function ttlSpec(value: unknown, what: string): TtlSpec | undefined {
  if (value === undefined || typeof value === 'function') return value as TtlSpec | undefined;
  assertTtl(value, what);
  return value;
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the option's function type; only its being a function can be checked
export function optionalFunction<F>(value: unknown, what: string): F | undefined {
  if (value !== undefined) assertFunction(value, what);
  return value as F | undefined;
}

export function managerName(value: unknown, what: string): string | undefined {
  if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      `${what} must be the non-empty name of a registered manager, got ${describe(value)}.`,
    );
  }
  return value;
}

export function tagsOption(value: unknown, what: string): TagsOption | undefined {
  if (value === undefined || typeof value === 'function') return value as TagsOption | undefined;
  if (!isTagList(value)) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      `${what} must be an array of non-empty strings or a function returning one, got ${describe(value)}.`,
    );
  }
  return Object.freeze([...value]);
}

function isTagList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((t: unknown) => typeof t === 'string' && t.length > 0);
}

/**
 * Grace, stale-while-revalidate, eager refresh and loader timeouts, checked at decoration time
 * (the same rules as `manager.get`); only the ones given are kept.
 */
export function freshnessOptions(opts: FreshnessMetadata, decorator: string): FreshnessMetadata {
  const checked: { -readonly [K in keyof FreshnessMetadata]: FreshnessMetadata[K] } = {};
  if (opts.grace !== undefined)
    assertNonNegative((checked.grace = opts.grace), `${decorator} grace`);
  if (opts.staleWhileRevalidate !== undefined) {
    assertNonNegative(
      (checked.staleWhileRevalidate = opts.staleWhileRevalidate),
      `${decorator} staleWhileRevalidate`,
    );
  }
  if (opts.eagerRefresh !== undefined)
    assertFraction((checked.eagerRefresh = opts.eagerRefresh), `${decorator} eagerRefresh`);
  if (opts.softTimeoutMs !== undefined)
    assertPositive((checked.softTimeoutMs = opts.softTimeoutMs), `${decorator} softTimeoutMs`);
  if (opts.hardTimeoutMs !== undefined)
    assertPositive((checked.hardTimeoutMs = opts.hardTimeoutMs), `${decorator} hardTimeoutMs`);
  return checked;
}

export { FRESHNESS_OPTIONS } from '../metadata/cache-metadata';

export function booleanOption(value: unknown, what: string): boolean {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      `${what} must be true or false, got ${describe(value)}.`,
    );
  }
  return value === true;
}

/** `serializer` or `type` (a class, through `ClassTransformerSerializer`); not both. */
export function serializerOption(
  serializer: unknown,
  type: unknown,
  decorator: string,
): Serializer | undefined {
  if (serializer !== undefined && type !== undefined) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      `${decorator}() takes serializer or type, not both: type: User is short for ` +
        'serializer: new ClassTransformerSerializer(User).',
    );
  }
  if (serializer !== undefined) {
    assertSerializer(serializer, `${decorator}() serializer`);
    return serializer;
  }
  if (type === undefined) return undefined;
  assertFunction(type, `${decorator}() type`);
  // `typeof` is all JavaScript can check of a class; the serializer reports one it cannot build.
  return serializerForType(type as unknown as ClassType);
}

/** `nullTtl`: `false`, or a TTL in seconds (as `ttl`). */
export function nullTtlOption(value: unknown, what: string): NullTtl | undefined {
  if (value === undefined || value === false) return value;
  if (typeof value !== 'number') {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      `${what} must be false (do not store null/undefined results) or a number of seconds to keep ` +
        `them, got ${describe(value)}.`,
    );
  }
  assertTtl(value, what);
  return value;
}

/** What `@Cacheable` and `@CachePut` share. */
export function storeMetadata(
  decorator: string,
  options: CacheableOptions | CachePutOptions,
): StoreMetadata {
  return {
    key: compileKey(options.key, `${decorator}() key`),
    ttl: ttlSpec(options.ttl, `${decorator}() ttl`),
    condition: optionalFunction(options.condition, `${decorator}() condition`),
    unless: optionalFunction(options.unless, `${decorator}() unless`),
    serializer: serializerOption(options.serializer, options.type, decorator),
    tags: tagsOption(options.tags, `${decorator}() tags`),
    manager: managerName(options.manager, `${decorator}() manager`),
    nullTtl: nullTtlOption(options.nullTtl, `${decorator}() nullTtl`),
  };
}
