import { CacheTypeError, type CacheManagerPort, type ManagerScope } from '../index';
import type { CacheAsideRegistration } from './cache-aside.registration';
import { DEFAULT_CACHE_NAME } from './cache-aside.tokens';

/** The managers of one application, by name: what its bound providers resolve their calls to. */
export class ApplicationScope implements ManagerScope {
  private readonly managers = new Map<string, CacheManagerPort>();

  constructor(registrations: readonly CacheAsideRegistration[]) {
    for (const { name, manager } of registrations) {
      if (this.managers.has(name)) {
        throw new CacheTypeError(
          'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
          `CacheAsideModule registers the manager "${name}" twice in one application: give each forRoot/forRootAsync its own name.`,
        );
      }
      this.managers.set(name, manager);
    }
  }

  has(name: string): boolean {
    return this.managers.has(name);
  }

  /** `"default", "sessions"`, or `none`, for messages. */
  describeRegistered(): string {
    return [...this.managers.keys()].map((n) => `"${n}"`).join(', ') || 'none';
  }

  /** The manager registered under `name`, or an error that names the module import to add. */
  manager(name: string): CacheManagerPort {
    const manager = this.managers.get(name);
    if (manager !== undefined) return manager;
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_NO_MANAGER',
      `a cached method of this Nest application uses the cache manager "${name}", ` +
        `which the application does not register (registered: ${this.describeRegistered()}): ${moduleImportFor(name)}.`,
    );
  }
}

/** What to import in the application module so that a manager of that name is registered. */
export function moduleImportFor(name: string): string {
  return name === DEFAULT_CACHE_NAME
    ? 'import CacheAsideModule.forRoot({ redis, ... }) in the application module'
    : `import CacheAsideModule.forRootAsync({ name: '${name}', ... }) (or forRoot({ name: '${name}', ... })) in the application module`;
}
