import { CacheTypeError } from '../errors/cache-type-error';
import { installCallHandler } from '../metadata/interception-hook';
import { DEFAULT_MANAGER_NAME, currentClassConfigVersion } from '../metadata/metadata-store';
import { classConfigFor, managerNameOf, ttlOf } from '../metadata/metadata-reader';
import type { MethodRecord } from '../metadata/method-record';
import { compileKeyBuilder, methodIdentity } from './cache-key';
import { CachedBatchRead } from './cached-batch-read';
import { CachedEviction } from './cached-eviction';
import { CachedPut } from './cached-put';
import { CachedRead, type ReadSite, type ReadStep } from './cached-read';
import { assertManagerPort, type CacheManagerPort } from './manager-port';
import { ResultTtl } from './result-ttl';

/**
 * Where every call of a decorated method goes. The decorators only record metadata and install
 * a trampoline that hands each call to the metadata layer's call hook, which this module fills
 * when it loads; this class resolves the method's settings over its class's over the manager's,
 * picks the registered manager, and runs the cache operations around the method.
 *
 * What does not depend on a call's arguments — merged settings, TTL precedence, the manager, the
 * key builder, the options given to the manager — is resolved on the first call of a method on a
 * class and kept in this module's memo. It is resolved again when a manager is registered
 * (`use`, `reset`) or a class configuration is added, so managers may still be registered after
 * the classes are defined, and replaced at any time.
 */
/** The static registry: managers by name, for every call not bound to a scope. */
const managers = new Map<string, CacheManagerPort>();
/** Changes on every `use` and `reset`: resolved methods from before are stale. */
let version = 0;

export class CacheInterceptor {
  /**
   * Registers the manager that serves decorated methods: the default one, or a named one that
   * methods select with `manager: name` (on the decorator or on `@CacheConfig`). Registering
   * under a name already taken replaces the previous manager.
   */
  static use(manager: CacheManagerPort, name: string = DEFAULT_MANAGER_NAME): void {
    assertManagerPort(manager);
    if (typeof name !== 'string' || name.length === 0) {
      throw new CacheTypeError(
        'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
        'CacheInterceptor.use(manager, name): name must be a non-empty string.',
      );
    }
    managers.set(name, manager);
    version++;
  }

  /** Forgets every registered manager (for tests, and for shutting an application down). */
  static reset(): void {
    managers.clear();
    version++;
  }

  /**
   * Runs one call of a decorated method (the call hook). A read-only method (`@Cacheable`,
   * `@CacheableMany`) costs a memo lookup, its key and the manager's own call: no promise of its
   * own, no await. Every failure, configuration or key, is a rejected promise, never a
   * synchronous throw.
   */
}

/**
 * Runs one call of a decorated method (the call hook). A read-only method (`@Cacheable`,
 * `@CacheableMany`) costs a memo lookup, its key and the manager's own call: no promise of its
 * own, no await. Every failure, configuration or key, is a rejected promise, never a
 * synchronous throw.
 */
function intercept(record: MethodRecord, thisArg: unknown, args: unknown[]): Promise<unknown> {
  try {
    const resolved = resolve(record, thisArg);
    const read = resolved.onlyRead;
    return read !== undefined ? read.run(thisArg, args) : around(resolved, thisArg, args);
  } catch (error) {
    return Promise.reject(error);
  }
}

installCallHandler(intercept);

/** Methods that write or evict: the operations in order around the method. */
async function around(
  resolved: ResolvedMethod,
  thisArg: unknown,
  args: unknown[],
): Promise<unknown> {
  for (const eviction of resolved.evictions)
    if (eviction.beforeInvocation) await eviction.run(thisArg, args);
  let result: unknown;
  if (resolved.read) result = await resolved.read.run(thisArg, args);
  else if (resolved.put) result = await resolved.put.run(thisArg, args);
  else result = await resolved.record.original.apply(thisArg, args);
  for (const eviction of resolved.evictions)
    if (!eviction.beforeInvocation) await eviction.run(thisArg, args);
  return result;
}

/** The interceptor's memo: each method's last resolution, kept here rather than on its record. */
const lastResolved = new WeakMap<MethodRecord, ResolvedMethod>();

/** The method's resolution for the class it is called on, from the memo while it is current. */
function resolve(record: MethodRecord, thisArg: unknown): ResolvedMethod {
  const memo = lastResolved.get(record);
  if (
    memo !== undefined &&
    memo.runtimeClass === runtimeClassOf(record, thisArg) &&
    memo.version === version &&
    memo.configVersion === currentClassConfigVersion()
  ) {
    return memo;
  }
  const runtimeClass = runtimeClassOf(record, thisArg);
  const other = resolvedFor(record, runtimeClass);
  if (
    other !== undefined &&
    other.version === version &&
    other.configVersion === currentClassConfigVersion()
  ) {
    lastResolved.set(record, other);
    return other;
  }
  return resolveAnew(record, thisArg);
}

function resolveAnew(record: MethodRecord, thisArg: unknown): ResolvedMethod {
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
  const storeManager = storeName === undefined ? undefined : managerFor(storeName, record);
  const evictions = record.evicts.map(
    (op) =>
      new CachedEviction(
        op,
        record,
        config,
        identity,
        managerFor(managerNameOf(op, config), record),
      ),
  );
  let read: ReadStep | undefined;
  let put: CachedPut | undefined;
  if (store !== undefined && storeManager !== undefined) {
    const decorator = record.cacheable
      ? '@Cacheable'
      : record.many
        ? '@CacheableMany'
        : '@CachePut';
    const site: ReadSite = {
      record,
      config,
      identity,
      manager: storeManager,
      keyOf: compileKeyBuilder(
        store.key,
        config.namespace,
        identity,
        `${decorator} key of ${record.describe()}`,
      ),
      ttl: new ResultTtl(ttlOf(record, store, config), store.unless),
    };
    if (record.cacheable) read = new CachedRead(site, record.cacheable);
    else if (record.many) read = new CachedBatchRead(site, record.many, storeName!);
    else if (record.put) put = new CachedPut(site, record.put);
  }
  const resolved: ResolvedMethod = {
    record,
    runtimeClass,
    version,
    configVersion,
    read,
    onlyRead: evictions.length === 0 ? read : undefined,
    put,
    evictions,
  };
  // Kept only once the declaring class is known (found lazily with standard decorators): the
  // identity, and so the keys and the label, depend on it.
  if (record.declaringClass !== undefined) {
    lastResolved.set(record, resolved);
    keepResolved(record, runtimeClass, resolved);
  }
  return resolved;
}

function managerFor(name: string, record: MethodRecord): CacheManagerPort {
  const manager = managers.get(name);
  if (manager) return manager;
  if (name === DEFAULT_MANAGER_NAME) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_NO_MANAGER',
      `${record.describe()} is decorated for caching, but no cache manager is registered: ` +
        'call CacheInterceptor.use(manager) once at startup, e.g. ' +
        'CacheInterceptor.use(new CacheAsideManager({ redis })).',
    );
  }
  const known = [...managers.keys()].map((n) => `"${n}"`).join(', ') || 'none';
  throw new CacheTypeError(
    'ERR_CACHE_ASIDE_NO_MANAGER',
    `${record.describe()} uses the cache manager "${name}", which is not registered ` +
      `(registered: ${known}): call CacheInterceptor.use(manager, '${name}').`,
  );
}

/** What a method resolved to on one class: settings, manager, prepared operations. */
interface ResolvedMethod {
  readonly record: MethodRecord;
  readonly runtimeClass: Function | undefined;
  /** `CacheInterceptor.version` when resolved. */
  readonly version: number;
  /** The class configuration version when resolved. */
  readonly configVersion: number;
  readonly read: ReadStep | undefined;
  /** `read`, when the method has nothing else to run around it (the hot path). */
  readonly onlyRead: ReadStep | undefined;
  readonly put: CachedPut | undefined;
  readonly evictions: readonly CachedEviction[];
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
