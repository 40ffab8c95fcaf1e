import { DEFAULT_MANAGER_NAME } from '../metadata/metadata-store';
import { classConfigFor, managerNameOf } from '../metadata/metadata-reader';
import type { MethodRecord } from '../metadata/method-record';
import { methodIdentity } from './cache-key';
import { assertManagerPort, type CacheManagerPort } from './manager-port';
import { MethodCall } from './method-call';

/**
 * Where every call of a decorated method goes. The decorators only record metadata and install
 * a trampoline that hands each call here; this class resolves, at call time, the method's
 * settings over its class's over the manager's, picks the registered manager, and runs the
 * cache operations around the method. Because nothing is resolved earlier, managers may be
 * registered after the classes are defined.
 */
export class CacheInterceptor {
  private static readonly managers = new Map<string, CacheManagerPort>();

  /**
   * Registers the manager that serves decorated methods: the default one, or a named one that
   * methods select with `manager: name` (on the decorator or on `@CacheConfig`). Registering
   * under a name already taken replaces the previous manager.
   */
  static use(manager: CacheManagerPort, name: string = DEFAULT_MANAGER_NAME): void {
    assertManagerPort(manager);
    if (typeof name !== 'string' || name.length === 0) {
      throw new TypeError('[cache-aside] CacheInterceptor.use(manager, name): name must be a non-empty string.');
    }
    CacheInterceptor.managers.set(name, manager);
  }

  /** Forgets every registered manager (for tests, and for shutting an application down). */
  static reset(): void {
    CacheInterceptor.managers.clear();
  }

  /**
   * Runs one call of a decorated method. Called by the trampolines; not meant to be called
   * directly.
   * @internal
   */
  static async intercept(record: MethodRecord, thisArg: unknown, args: unknown[]): Promise<unknown> {
    record.assertComplete();
    if (record.declaringClass === undefined) record.locate(thisArg);
    const call = resolveCall(record, thisArg, args);

    // Everything that can be wrong with the configuration fails before any side effect.
    const store = record.cacheable ?? record.put;
    const storeManager = store && CacheInterceptor.managerFor(managerNameOf(store, call.config), record);
    const evictions = record.evicts.map((op) => {
      if (op.allEntries) call.requireNamespace();
      return { op, manager: CacheInterceptor.managerFor(managerNameOf(op, call.config), record) };
    });

    for (const { op, manager } of evictions) if (op.beforeInvocation) await call.evict(op, manager);
    let result: unknown;
    if (record.cacheable && storeManager) result = await call.cacheable(record.cacheable, storeManager);
    else if (record.put && storeManager) result = await call.put(record.put, storeManager);
    else result = await call.invoke();
    for (const { op, manager } of evictions) if (!op.beforeInvocation) await call.evict(op, manager);
    return result;
  }

  private static managerFor(name: string, record: MethodRecord): CacheManagerPort {
    const manager = CacheInterceptor.managers.get(name);
    if (manager) return manager;
    if (name === DEFAULT_MANAGER_NAME) {
      throw new Error(
        `[cache-aside] ${record.describe()} is decorated for caching, but no cache manager is registered: ` +
          'call CacheInterceptor.use(manager) once at startup, e.g. ' +
          'CacheInterceptor.use(new CacheAsideManager({ redis })).',
      );
    }
    const known = [...CacheInterceptor.managers.keys()].map((n) => `"${n}"`).join(', ') || 'none';
    throw new Error(
      `[cache-aside] ${record.describe()} uses the cache manager "${name}", which is not registered ` +
        `(registered: ${known}): call CacheInterceptor.use(manager, '${name}').`,
    );
  }
}

/** Identities per record and runtime class, computed once. */
const identities = new WeakMap<MethodRecord, Map<Function | undefined, string>>();

function resolveCall(record: MethodRecord, thisArg: unknown, args: unknown[]): MethodCall {
  const runtimeClass = runtimeClassOf(record, thisArg);
  let byClass = identities.get(record);
  if (!byClass) identities.set(record, (byClass = new Map()));
  let identity = byClass.get(runtimeClass);
  if (identity === undefined) {
    identity = methodIdentity(runtimeClass, record.declaringClass, record.methodName, record.isStatic);
    // Only cache once the declaring class is known (it is looked up lazily with standard decorators).
    if (record.declaringClass !== undefined) byClass.set(runtimeClass, identity);
  }
  return new MethodCall(record, thisArg, args, classConfigFor(runtimeClass), identity);
}

/** The class the method was called on: of the instance, or the class itself for a static method. */
function runtimeClassOf(record: MethodRecord, thisArg: unknown): Function | undefined {
  if (record.isStatic) return typeof thisArg === 'function' ? thisArg : record.declaringClass;
  if (thisArg !== null && typeof thisArg === 'object') {
    const ctor: unknown = (Object.getPrototypeOf(thisArg) as { constructor?: unknown } | null)?.constructor;
    if (typeof ctor === 'function') return ctor;
  }
  return record.declaringClass;
}
