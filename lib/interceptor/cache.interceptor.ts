import { CacheTypeError } from '../errors/cache-type-error';
import { describe } from '../errors/invalid-argument';
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
import type { ManagerScope } from './manager-scope';
import { ScopeContext } from './scope-context';
import { ResultTtl } from './result-ttl';
import { tenantHead } from './tenant';
import { type AnyClass, isClass } from '../metadata/any-class';

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

/** Connects the cache decorators to managers: register them with `use` (or per instance with `bind`), switch caching off and on, and reset between tests. Every member is static. */
export class CacheInterceptor {
  /**
   * Not meant to be constructed: its members are static. Constructing it is what NestJS does
   * with `@UseInterceptors(CacheInterceptor)` (or `APP_INTERCEPTOR` / `useGlobalInterceptors`),
   * a name clash with Nest's own cache interceptor; the error says what to use instead, and
   * fails the application's bootstrap rather than every request.
   */
  constructor() {
    throw notANestInterceptor();
  }

  /**
   * Present only so that a framework calling it (NestJS, on an instance it made without the
   * constructor) gets the same explanation.
   */
  intercept(): never {
    throw notANestInterceptor();
  }

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

  /**
   * Unregisters `manager` from `name` if it is still the one registered there, and says whether
   * it was: a manager registered under that name since (by `use`) stays. For an application
   * that shuts down, so that code outside it never calls a closed manager, without undoing a
   * registration that is not its own.
   */
  static forget(manager: CacheManagerPort, name: string = DEFAULT_MANAGER_NAME): boolean {
    if (managers.get(name) !== manager) return false;
    managers.delete(name);
    version++;
    return true;
  }

  /** Forgets every registered manager (for tests, and for shutting an application down). */
  static reset(): void {
    managers.clear();
    version++;
  }

  /**
   * Binds an instance (or a class, for its static methods) to a scope of managers: its decorated
   * methods then take every manager from `scope` only, by name (`'default'` for the default
   * one), and a name the scope does not provide rejects the call naming it. Unbound instances use
   * the static registry (`use`). Binding again replaces the scope. For frameworks that run
   * several applications in one process (the NestJS module binds each provider to its
   * application's managers).
   *
   * The scope is asked once per method and class, on the first call after `bind`.
   */
  static bind(instance: object, scope: ManagerScope): void {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- JavaScript callers can pass a primitive or null
    if ((typeof instance !== 'object' && typeof instance !== 'function') || instance === null) {
      throw new CacheTypeError(
        'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
        `CacheInterceptor.bind(instance, scope): instance must be an object, got ${describe(instance)}.`,
      );
    }
    assertScope(scope, 'CacheInterceptor.bind(instance, scope)');
    if (!bindings.has(instance)) bindingCount++;
    bindings.set(instance, { scope, overRegistry: false, resolved: new WeakMap() });
    installMode();
  }

  /**
   * Runs `fn` in an async context whose decorated calls take their managers from `scope`, as a
   * bound instance's do: every call made by `fn` or after any await of it, on an instance that
   * is not bound (a bound instance keeps its own scope). A manager name the scope does not provide
   * (`manager(name)` is `undefined`) comes from the static registry. For frameworks that create objects per
   * request (the NestJS module runs each HTTP request in its application's scope, so that
   * request-scoped providers use their own application's managers). Returns what `fn` returns.
   */
  static runInScope<T>(scope: ManagerScope, fn: () => T): T {
    assertScope(scope, 'CacheInterceptor.runInScope(scope, fn)');
    if (typeof fn !== 'function') {
      throw new CacheTypeError(
        'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
        `CacheInterceptor.runInScope(scope, fn): fn must be a function, got ${describe(fn)}.`,
      );
    }
    let binding = scopeBindings.get(scope);
    if (binding === undefined)
      scopeBindings.set(scope, (binding = { scope, overRegistry: true, resolved: new WeakMap() }));
    if (!contextScopesUsed) {
      contextScopesUsed = true;
      installMode();
    }
    return contextScope.run(binding, fn);
  }

  /** Undoes `bind`: the instance's decorated methods use the static registry again. */
  static unbind(instance: object): void {
    if (bindings.delete(instance)) bindingCount--;
    installMode();
  }

  /**
   * Turns caching off process-wide: every decorated method runs itself, on every call, as if
   * undecorated (no manager needed, nothing read, written or evicted) until `enable()`. For
   * users' own unit tests, and for switching a cache off in an emergency.
   */
  static disable(): void {
    disabled = true;
    installMode();
  }

  /** Turns caching back on after `disable()`. */
  static enable(): void {
    disabled = false;
    installMode();
  }

  /** Whether `disable()` is in force. */
  static get disabled(): boolean {
    return disabled;
  }
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
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rejects with what the method threw, exactly as the method would
    return Promise.reject(error);
  }
}

function assertScope(scope: unknown, where: string): asserts scope is ManagerScope {
  const candidate = scope as Partial<ManagerScope> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.manager !== 'function'
  ) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      `${where}: scope must be an object with a manager(name) method ` +
        `returning the manager registered under that name, got ${describe(scope)}.`,
    );
  }
}

function notANestInterceptor(): CacheTypeError {
  return new CacheTypeError(
    'ERR_CACHE_ASIDE_DECORATOR_MISUSE',
    "cache-aside's CacheInterceptor is not a NestJS interceptor (it is the registry behind the cache " +
      'decorators): remove it from @UseInterceptors / APP_INTERCEPTOR. For HTTP response caching, ' +
      "use @nestjs/cache-manager's CacheInterceptor; to cache service methods, decorate them with " +
      "@Cacheable and import CacheAsideModule from 'cache-aside/nestjs'.",
  );
}

/**
 * A call of an instance that may be bound, or made in a scoped async context: the instance's
 * scope, else the context's, else the static registry.
 */
function interceptBound(record: MethodRecord, thisArg: unknown, args: unknown[]): Promise<unknown> {
  const binding = bindings.get(thisArg as object) ?? contextScope.current();
  if (binding === undefined) return intercept(record, thisArg, args);
  try {
    const resolved = resolveBound(record, thisArg, binding);
    const read = resolved.onlyRead;
    return read !== undefined ? read.run(thisArg, args) : around(resolved, thisArg, args);
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rejects with what the method threw, exactly as the method would
    return Promise.reject(error);
  }
}

/** While disabled: the method itself, as if undecorated. */
function runUncached(record: MethodRecord, thisArg: unknown, args: unknown[]): Promise<unknown> {
  try {
    return Promise.resolve(record.original.apply(thisArg, args));
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rejects with what the method threw, exactly as the method would
    return Promise.reject(error);
  }
}

let disabled = false;

/** One instance's scope (or one async context's), and the methods resolved against it. */
interface Binding {
  readonly scope: ManagerScope;
  /**
   * An async context's scope (`runInScope`): a name it does not provide comes from the static
   * registry. An instance's (`bind`) provides every name its instance uses, or the call fails.
   */
  readonly overRegistry: boolean;
  readonly resolved: WeakMap<MethodRecord, ResolvedMethod>;
}

const bindings = new WeakMap<object, Binding>();
/** Instances bound and not unbound: while 0, calls take the path that never looks bindings up. */
let bindingCount = 0;
/** The scope of the current async context (`runInScope`), and one binding per scope given. */
const contextScope = new ScopeContext<Binding>();
const scopeBindings = new WeakMap<ManagerScope, Binding>();
/** Whether `runInScope` was ever called: until then, calls never look the async context up. */
let contextScopesUsed = false;

/**
 * The call hook for the current mode, so that the common case (enabled, nothing bound) pays for
 * neither check on a call.
 */
function installMode(): void {
  installCallHandler(
    disabled ? runUncached : bindingCount > 0 || contextScopesUsed ? interceptBound : intercept,
  );
}

installMode();

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

/** A bound instance's resolution, from its binding's memo while it is current. */
function resolveBound(record: MethodRecord, thisArg: unknown, binding: Binding): ResolvedMethod {
  const memo = binding.resolved.get(record);
  if (
    memo !== undefined &&
    memo.runtimeClass === runtimeClassOf(record, thisArg) &&
    memo.configVersion === currentClassConfigVersion() &&
    // A context's scope falls back to the registry, which may have changed since.
    (!binding.overRegistry || memo.version === version)
  ) {
    return memo;
  }
  const resolved = resolveAnew(record, thisArg, binding);
  if (record.declaringClass !== undefined) binding.resolved.set(record, resolved);
  return resolved;
}

function resolveAnew(record: MethodRecord, thisArg: unknown, binding?: Binding): ResolvedMethod {
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

  const tenant =
    config.tenant && tenantHead(config.tenant, `@CacheConfig tenant of ${record.describe()}`);
  // Everything that can be wrong with the configuration fails before any side effect.
  const store = record.cacheable ?? record.many ?? record.put;
  const storeName = store && managerNameOf(store, config);
  const storeManager = storeName === undefined ? undefined : managerFor(storeName, record, binding);
  const evictions = record.evicts.map(
    (op) =>
      new CachedEviction(
        op,
        record,
        config,
        identity,
        managerFor(managerNameOf(op, config), record, binding),
        tenant,
      ),
  );
  let read: ReadStep | undefined;
  let put: CachedPut | undefined;
  if (store !== undefined && storeName !== undefined && storeManager !== undefined) {
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
        'key',
        tenant,
      ),
      tenant,
      ttl: new ResultTtl(ttlOf(record, store, config), store.unless),
    };
    if (record.cacheable) read = new CachedRead(site, record.cacheable);
    else if (record.many) read = new CachedBatchRead(site, record.many, storeName);
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
  if (record.declaringClass !== undefined && binding === undefined) {
    lastResolved.set(record, resolved);
    keepResolved(record, runtimeClass, resolved);
  }
  return resolved;
}

function managerFor(name: string, record: MethodRecord, binding?: Binding): CacheManagerPort {
  if (binding !== undefined && !binding.overRegistry) {
    return scopedManager(name, record, binding.scope);
  }
  const fromContext = binding?.scope.manager(name);
  if (fromContext !== undefined) {
    assertManagerPort(fromContext);
    return fromContext;
  }
  const manager = managers.get(name);
  if (manager) return manager;
  if (name === DEFAULT_MANAGER_NAME) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_NO_MANAGER',
      `${record.describe()} is decorated for caching, but no cache manager is registered: ` +
        'call CacheInterceptor.use(manager) once at startup, e.g. ' +
        'CacheInterceptor.use(new CacheAsideManager({ redis })) (in a NestJS application: import ' +
        "CacheAsideModule.forRoot({ redis }) from 'cache-aside/nestjs' in the application module).",
    );
  }
  const known = [...managers.keys()].map((n) => `"${n}"`).join(', ') || 'none';
  throw new CacheTypeError(
    'ERR_CACHE_ASIDE_NO_MANAGER',
    `${record.describe()} uses the cache manager "${name}", which is not registered ` +
      `(registered: ${known}): call CacheInterceptor.use(manager, '${name}').`,
  );
}

function scopedManager(name: string, record: MethodRecord, scope: ManagerScope): CacheManagerPort {
  const manager = scope.manager(name);
  if (manager === undefined) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_NO_MANAGER',
      `${record.describe()} uses the cache manager "${name}", which the scope its instance is bound ` +
        'to (CacheInterceptor.bind) does not provide: register a manager under that name in the ' +
        "instance's application, or unbind the instance to use the static registry (CacheInterceptor.use).",
    );
  }
  assertManagerPort(manager);
  return manager;
}

/** What a method resolved to on one class: settings, manager, prepared operations. */
interface ResolvedMethod {
  readonly record: MethodRecord;
  readonly runtimeClass: AnyClass | undefined;
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
  { classes: WeakMap<AnyClass, ResolvedMethod>; unknownClass?: ResolvedMethod }
>();

function resolvedFor(
  record: MethodRecord,
  runtimeClass: AnyClass | undefined,
): ResolvedMethod | undefined {
  const entry = byClass.get(record);
  if (entry === undefined) return undefined;
  return runtimeClass === undefined ? entry.unknownClass : entry.classes.get(runtimeClass);
}

function keepResolved(
  record: MethodRecord,
  runtimeClass: AnyClass | undefined,
  resolved: ResolvedMethod,
): void {
  let entry = byClass.get(record);
  if (entry === undefined) byClass.set(record, (entry = { classes: new WeakMap() }));
  if (runtimeClass === undefined) entry.unknownClass = resolved;
  else entry.classes.set(runtimeClass, resolved);
}

/** The class the method was called on: of the instance, or the class itself for a static method. */
function runtimeClassOf(record: MethodRecord, thisArg: unknown): AnyClass | undefined {
  if (record.isStatic) return isClass(thisArg) ? thisArg : record.declaringClass;
  if (thisArg !== null && typeof thisArg === 'object') {
    const ctor: unknown = (Object.getPrototypeOf(thisArg) as { constructor?: unknown } | null)
      ?.constructor;
    if (isClass(ctor)) return ctor;
  }
  return record.declaringClass;
}
