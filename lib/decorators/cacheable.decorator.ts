import type { CacheableOptions } from '../metadata/cache-metadata';
import {
  FRESHNESS_OPTIONS,
  freshnessOptions,
  optionsObject,
  storeMetadata,
} from './decorator-options';
import { type CacheMethodDecorator, createMethodDecorator } from './method-decorator';

const OPTIONS: readonly (keyof CacheableOptions)[] = [
  'key',
  'ttl',
  'condition',
  'unless',
  'serializer',
  'type',
  'tags',
  'manager',
  'nullTtl',
  ...FRESHNESS_OPTIONS,
];

/**
 * Cache-aside read: a hit returns the stored value without running the method; a miss runs it
 * once (however many callers are waiting), stores the result and returns it.
 *
 * ```ts
 * @Cacheable({ key: 'user:{0}', ttl: 120 })
 * async findById(id: number): Promise<User | null> { ... }
 * ```
 */
export function Cacheable(options?: CacheableOptions): CacheMethodDecorator {
  const opts = optionsObject<CacheableOptions>('@Cacheable', options, OPTIONS);
  const meta = Object.freeze({
    ...storeMetadata('@Cacheable', opts),
    ...freshnessOptions(opts, '@Cacheable()'),
  });
  return createMethodDecorator('@Cacheable', (record) => {
    record.setCacheable(meta);
  });
}
