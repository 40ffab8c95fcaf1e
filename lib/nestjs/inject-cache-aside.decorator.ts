import { Inject } from '@nestjs/common';
import { DEFAULT_CACHE_NAME, getCacheAsideToken } from './cache-aside.tokens';

/**
 * Injects the `CacheAsideManager` registered under `name` (the default one without a name):
 * `constructor(@InjectCacheAside() cache: CacheAsideManager) {}`.
 */
export function InjectCacheAside(
  name: string = DEFAULT_CACHE_NAME,
): PropertyDecorator & ParameterDecorator {
  return Inject(getCacheAsideToken(name));
}
