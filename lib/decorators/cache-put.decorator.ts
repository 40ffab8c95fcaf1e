import type { CachePutOptions } from '../metadata/cache-metadata';
import { optionsObject, storeMetadata } from './decorator-options';
import { type CacheMethodDecorator, createMethodDecorator } from './method-decorator';

const OPTIONS: readonly (keyof CachePutOptions)[] = [
  'key',
  'ttl',
  'condition',
  'unless',
  'serializer',
  'type',
  'tags',
  'manager',
  'nullTtl',
];

/**
 * The method always runs, and its result is written under the key, replacing what was cached
 * (a write counts as an invalidation for loads still in flight: the newer value wins). A result
 * kept out of the cache by `unless` or a TTL of 0 or less removes the entry instead.
 *
 * ```ts
 * @CachePut({ key: (u: User) => `user:${u.id}` })
 * async save(u: User): Promise<User> { ... }
 * ```
 */
export function CachePut(options?: CachePutOptions): CacheMethodDecorator {
  const meta = Object.freeze(
    storeMetadata('@CachePut', optionsObject<CachePutOptions>('@CachePut', options, OPTIONS)),
  );
  return createMethodDecorator('@CachePut', (record) => {
    record.setPut(meta);
  });
}
