import type { CacheManagerPort } from './manager-port';

/**
 * Where a bound instance's decorated methods find their managers (`CacheInterceptor.bind`): one
 * application's managers, by the names the decorators use (`'default'`, `DEFAULT_MANAGER_NAME`,
 * for the default one). `undefined` for a name the scope does not provide.
 */
export interface ManagerScope {
  /** The manager registered in this scope under `name`, or `undefined` to refuse the call with a message naming it. */
  manager(name: string): CacheManagerPort | undefined;
}
