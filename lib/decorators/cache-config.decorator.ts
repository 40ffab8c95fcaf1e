import type { AnyClass } from '../metadata/any-class';
import { CacheTypeError } from '../errors/cache-type-error';
import { describe } from '../errors/invalid-argument';
import type { CacheConfigMetadata, CacheConfigOptions } from '../metadata/cache-metadata';
import { defineClassConfig } from '../metadata/metadata-store';
import { classifyDecoratorCall } from './decorator-kind';
import {
  FRESHNESS_OPTIONS,
  freshnessOptions,
  managerName,
  nullTtlOption,
  optionalFunction,
  optionsObject,
  ttlSpec,
} from './decorator-options';

/** A class decorator in either standard. */
export interface CacheClassDecorator {
  (target: AnyClass): void;
  <C extends AnyClass>(value: C, context: ClassDecoratorContext<C>): void;
}

const OPTIONS: readonly (keyof CacheConfigOptions)[] = [
  'namespace',
  'ttl',
  'manager',
  'nullTtl',
  'tenant',
  'condition',
  ...FRESHNESS_OPTIONS,
];

/**
 * Class-wide defaults for the cache decorators of a class's methods (a method's own options win),
 * inherited by subclasses (a subclass's own `@CacheConfig` wins field by field). `namespace`
 * puts the class's keys under `keyPrefix + namespace + ':'`.
 *
 * ```ts
 * @CacheConfig({ namespace: 'users', ttl: 300 })
 * class UserRepository { ... }
 * ```
 */
export function CacheConfig(options?: CacheConfigOptions): CacheClassDecorator {
  const opts = optionsObject<CacheConfigOptions>('@CacheConfig', options, OPTIONS);
  if (
    opts.namespace !== undefined &&
    (typeof opts.namespace !== 'string' || opts.namespace.length === 0)
  ) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      `@CacheConfig() namespace must be a non-empty string, got ${describe(opts.namespace)}.`,
    );
  }
  const config: CacheConfigMetadata = Object.freeze(
    dropUndefined({
      namespace: opts.namespace,
      ttl: ttlSpec(opts.ttl, '@CacheConfig() ttl'),
      manager: managerName(opts.manager, '@CacheConfig() manager'),
      condition: optionalFunction<CacheConfigMetadata['condition']>(
        opts.condition,
        '@CacheConfig() condition',
      ),
      ...freshnessOptions(opts, '@CacheConfig()'),
      nullTtl: nullTtlOption(opts.nullTtl, '@CacheConfig() nullTtl'),
      tenant: optionalFunction<CacheConfigMetadata['tenant']>(opts.tenant, '@CacheConfig() tenant'),
    }),
  );
  return function cacheConfigDecorator(...args: unknown[]): void {
    const site = classifyDecoratorCall(args);
    if (site.kind !== 'class') {
      const what = site.kind === 'other' ? site.description : `the method ${String(site.name)}`;
      throw new CacheTypeError(
        'ERR_CACHE_ASIDE_DECORATOR_MISUSE',
        `@CacheConfig() decorates classes only; it was applied to ${what}.`,
      );
    }
    defineClassConfig(site.ctor, config);
  };
}

/** Unset options must not hide an ancestor's setting when class configurations are merged. */
function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
