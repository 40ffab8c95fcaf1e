/** The name of the manager that decorated methods use when they name none. */
export const DEFAULT_CACHE_NAME = 'default';

/**
 * The provider token of a manager registered by `CacheAsideModule`: inject it with
 * `@InjectCacheAside(name)`, or replace it in a test with
 * `Test.createTestingModule(...).overrideProvider(getCacheAsideToken(name))`.
 *
 * The token is a readable string on purpose: when a provider injects a manager that no module
 * registers, Nest's "can't resolve dependencies" message prints the token, and this one says
 * what to import.
 */
export function getCacheAsideToken(name: string = DEFAULT_CACHE_NAME): string {
  assertCacheName(name, 'getCacheAsideToken(name)');
  return name === DEFAULT_CACHE_NAME
    ? 'CacheAsideManager (import CacheAsideModule.forRoot)'
    : `CacheAsideManager "${name}" (import CacheAsideModule.forRootAsync with name: '${name}')`;
}

/** The token of the options a module instance was given (one per manager name). */
export function getCacheAsideOptionsToken(name: string): string {
  return `cache-aside:options:${name}`;
}

/** The token of what one module instance created and must close (one per manager name). */
export function getCacheAsideRegistrationToken(name: string): string {
  return `cache-aside:registration:${name}`;
}

export function assertCacheName(name: unknown, where: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`[cache-aside] ${where}: the name must be a non-empty string.`);
  }
}
