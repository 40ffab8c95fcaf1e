import { CacheTypeError } from '../errors/cache-type-error';
import { describe } from '../errors/invalid-argument';
import type { TtlSpec } from '../metadata/cache-metadata';
import { ttlSpec } from './decorator-options';
import { type CacheMethodDecorator, createMethodDecorator } from './method-decorator';

/**
 * The TTL of a `@Cacheable` or `@CachePut` method, in seconds (`Infinity`: no expiry), or
 * `(result, ...args) => seconds`, where `0` or less keeps that result out of the cache. It beats
 * the decorator's own `ttl` option, which beats `@CacheConfig`, which beats the manager's default.
 */
export function CacheTtl(ttl: TtlSpec): CacheMethodDecorator {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- JavaScript callers can pass anything; the types alone do not guard
  if (ttl === undefined || (typeof ttl !== 'number' && typeof ttl !== 'function')) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      `@CacheTtl() takes seconds or a function of the result, got ${describe(ttl)}.`,
    );
  }
  const spec = ttlSpec(ttl, '@CacheTtl() ttl') as TtlSpec;
  return createMethodDecorator('@CacheTtl', (record) => {
    record.setTtl(spec);
  });
}
