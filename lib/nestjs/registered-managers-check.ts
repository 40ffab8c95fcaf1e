import { CacheTypeError, managerNamesOf, type AnyClass } from '../index';
import { moduleImportFor, type ApplicationScope } from './application-scope';

/**
 * Fails the application's bootstrap when one of its providers or controllers has a decorated
 * method whose manager the application does not register: the mistake shows at `app.init()`,
 * naming the class, the method and the import to add, not at the first call in production.
 */
export function assertManagersRegistered(
  classes: Iterable<AnyClass>,
  scope: ApplicationScope,
): void {
  const missing = new Map<string, string[]>();
  for (const ctor of classes) {
    for (const use of managerNamesOf(ctor)) {
      if (scope.has(use.manager)) continue;
      let methods = missing.get(use.manager);
      if (methods === undefined) missing.set(use.manager, (methods = []));
      methods.push(`${ctor.name || 'an anonymous class'}.${use.method}`);
    }
  }
  if (missing.size === 0) return;
  const lines = [...missing].map(
    ([name, methods]) =>
      `the cache manager "${name}", used by ${methods.join(', ')}: ${moduleImportFor(name)}`,
  );
  throw new CacheTypeError(
    'ERR_CACHE_ASIDE_NO_MANAGER',
    `this Nest application does not register a cache manager its decorated methods use ` +
      `(registered: ${scope.describeRegistered()}). Missing ${lines.join('; ')}.`,
  );
}
