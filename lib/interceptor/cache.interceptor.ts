import type {
  CacheConfigMetadata,
  CacheEvictMetadata,
  CachePutMetadata,
} from '../metadata/cache-metadata';
import { DEFAULT_MANAGER_NAME, currentClassConfigVersion } from '../metadata/metadata-store';
import { classConfigFor, managerNameOf } from '../metadata/metadata-reader';
import type { MethodRecord } from '../metadata/method-record';
import { methodIdentity } from './cache-key';
import { CachedBatchRead } from './cached-batch-read';
import { CachedRead, type ReadStep } from './cached-read';
import { assertManagerPort, type CacheManagerPort } from './manager-port';
import { MethodCall, requireNamespace } from './method-call';

/**
 * Where every call of a decorated method goes. The decorators only record metadata and install
 * a trampoline that hands each call here; this class resolves the method's settings over its
 * class's over the manager's, picks the registered manager, and runs the cache operations around
 * the method.
 *
 * What does not depend on a call's arguments — merged settings, TTL precedence, the manager, the
 * key builder, the options given to the manager — is resolved on the first call of a method on a
 * class and kept with the method's record. It is resolved again when a manager is registered
 * (`use`, `reset`) or a class configuration is added, so managers may still be registered after
 * the classes are defined, and replaced at any time.
 */
export class CacheInterceptor {
  private static readonly managers = new Map<string, CacheManagerPort>();
  /** Changes on every `use` and `reset`: resolved methods from before are stale. */
  private static version = 0;

  /**
   * Registers the manager that serves decorated methods: the default one, or a named one that
   * methods select with `manager: name` (on the decorator or on `@CacheConfig`). Registering
   * under a name already taken replaces the previous manager.
   */
  static use(manager: CacheManagerPort, name: string = DEFAULT_MANAGER_NAME): void {
    assertManagerPort(manager);
    if (typeof name !== 'string' || name.length === 0) {
      throw new TypeError(
        '[cache-aside] CacheInterceptor.use(manager, name): name must be a non-empty string.',
      );
    }
    CacheInterceptor.managers.set(name, manager);
    CacheInterceptor.version++;
  }

  /** Forgets every registered manager (for tests, and for shutting an application down). */
  static reset(): void {
    CacheInterceptor.managers.clear();
    CacheInterceptor.version++;
  }

  /**
   * Runs one call of a decorated method. Called by the trampolines; not meant to be called
   * directly. A read-only method (`@Cacheable`, `@CacheableMany`) costs a memo check, its key
   * and the manager's own call: no promise of its own, no await. Every failure, configuration or
   * key, is a rejected promise, never a synchronous throw.
   * @internal
   */
  static intercept(record: MethodRecord, thisArg: unknown, args: unknown[]): Promise<unknown> {
    try {
      const resolved = CacheInterceptor.resolve(record, thisArg);
      const read = resolved.onlyRead;
      return read !== undefined
        ? read.run(thisArg, args)
        : CacheInterceptor.around(resolved, thisArg, args);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Methods that write or evict: the operations in order around the method. */
  private static async around(
    resolved: ResolvedMethod,
    thisArg: unknown,
    args: unknown[],
  ): Promise<unknown> {
    const call = new MethodCall(resolved.record, thisArg, args, resolved.config, resolved.identity);
    for (const { op, manager } of resolved.evictions)
      if (op.beforeInvocation) await call.evict(op, manager);
    let result: unknown;
    if (resolved.read) result = await resolved.read.run(thisArg, args);
    else if (resolved.put) result = await call.put(resolved.put, resolved.putManager!);
    else result = await call.invoke();
    for (const { op, manager } of resolved.evictions)
      if (!op.beforeInvocation) await call.evict(op, manager);
    return result;
  }

  /** The method's resolution for the class it is called on, from the memo while it is current. */
  private static resolve(record: MethodRecord, thisArg: unknown): ResolvedMethod {
    const memo = record.resolved as ResolvedMethod | undefined;
    if (
      memo !== undefined &&
      memo.runtimeClass === runtimeClassOf(record, thisArg) &&
      memo.version === CacheInterceptor.version &&
      memo.configVersion === currentClassConfigVersion()
    ) {
      return memo;
    }
    const runtimeClass = runtimeClassOf(record, thisArg);
    const other = resolvedFor(record, runtimeClass);
    if (
      other !== undefined &&
      other.version === CacheInterceptor.version &&
      other.configVersion === currentClassConfigVersion()
    ) {
      record.resolved = other;
      return other;
    }
    return CacheInterceptor.resolveAnew(record, thisArg);
  }

  private static resolveAnew(record: MethodRecord, thisArg: unknown): ResolvedMethod {
    const version = CacheInterceptor.version;
    const configVersion = currentClassConfigVersion();
    record.assertComplete();
    if (record.declaringClass === undefined) record.locate(thisArg);
    const runtimeClass = runtimeClassOf(record, thisArg);
    const config = classConfigFor(runtimeClass);
    const identity = methodIdentity(
      runtimeClass,
      record.declaringClass,
      record.methodName,
      record.isStatic,
    );

    // Everything that can be wrong with the configuration fails before any side effect.
    const store = record.cacheable ?? record.many ?? record.put;
    const storeName = store && managerNameOf(store, config);
    const storeManager =
      storeName === undefined ? undefined : CacheInterceptor.managerFor(storeName, record);
    const evictions = record.evicts.map((op) => {
      if (op.allEntries) requireNamespace(config, record);
      return { op, manager: CacheInterceptor.managerFor(managerNameOf(op, config), record) };
    });
    let read: ReadStep | undefined;
    if (storeManager !== undefined) {
      const site = { record, config, identity, manager: storeManager };
      if (record.cacheable) read = new CachedRead(site, record.cacheable);
      else if (record.many) read = new CachedBatchRead(site, record.many, storeName!);
    }
    const resolved: ResolvedMethod = {
      record,
      runtimeClass,
      version,
      configVersion,
      config,
      identity,
      read,
      onlyRead: evictions.length === 0 ? read : undefined,
      put: record.put,
      putManager: record.put ? storeManager : undefined,
      evictions,
    };
    // Kept only once the declaring class is known (found lazily with standard decorators): the
    // identity, and so the keys and the label, depend on it.
    if (record.declaringClass !== undefined) {
      record.resolved = resolved;
      keepResolved(record, runtimeClass, resolved);
    }
    return resolved;
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

/** What a method resolved to on one class: settings, manager, prepared operations. */
interface ResolvedMethod {
  readonly record: MethodRecord;
  readonly runtimeClass: Function | undefined;
  /** `CacheInterceptor.version` when resolved. */
  readonly version: number;
  /** The class configuration version when resolved. */
  readonly configVersion: number;
  readonly config: CacheConfigMetadata;
  readonly identity: string;
  readonly read: ReadStep | undefined;
  /** `read`, when the method has nothing else to run around it (the hot path). */
  readonly onlyRead: ReadStep | undefined;
  readonly put: CachePutMetadata | undefined;
  readonly putManager: CacheManagerPort | undefined;
  readonly evictions: ReadonlyArray<{
    readonly op: CacheEvictMetadata;
    readonly manager: CacheManagerPort;
  }>;
}

/**
 * Resolutions per record and runtime class, for methods called on several classes (inheritance).
 * Weak on both levels: a subclass nobody references any more is collected with its resolution.
 */
const byClass = new WeakMap<
  MethodRecord,
  { classes: WeakMap<Function, ResolvedMethod>; unknownClass?: ResolvedMethod }
>();

function resolvedFor(
  record: MethodRecord,
  runtimeClass: Function | undefined,
): ResolvedMethod | undefined {
  const entry = byClass.get(record);
  if (entry === undefined) return undefined;
  return runtimeClass === undefined ? entry.unknownClass : entry.classes.get(runtimeClass);
}

function keepResolved(
  record: MethodRecord,
  runtimeClass: Function | undefined,
  resolved: ResolvedMethod,
): void {
  let entry = byClass.get(record);
  if (entry === undefined) byClass.set(record, (entry = { classes: new WeakMap() }));
  if (runtimeClass === undefined) entry.unknownClass = resolved;
  else entry.classes.set(runtimeClass, resolved);
}

/** The class the method was called on: of the instance, or the class itself for a static method. */
function runtimeClassOf(record: MethodRecord, thisArg: unknown): Function | undefined {
  if (record.isStatic) return typeof thisArg === 'function' ? thisArg : record.declaringClass;
  if (thisArg !== null && typeof thisArg === 'object') {
    const ctor: unknown = (Object.getPrototypeOf(thisArg) as { constructor?: unknown } | null)
      ?.constructor;
    if (typeof ctor === 'function') return ctor;
  }
  return record.declaringClass;
}
