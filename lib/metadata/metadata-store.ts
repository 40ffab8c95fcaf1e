import { CacheTypeError } from '../errors/cache-type-error';
import type { CacheConfigMetadata } from './cache-metadata';
import type { MethodRecord } from './method-record';
import type { AnyClass } from './any-class';

/**
 * Where the cache decorators keep what they record: every store in this one file.
 *
 * Plain `WeakMap`s rather than `reflect-metadata`: the decorators must work without
 * `emitDecoratorMetadata` (tsx, esbuild, standard decorators) and without a global polyfill,
 * and a WeakMap neither leaks classes nor shows up on user objects.
 */

/** The record behind each installed trampoline. */
const recordsByTrampoline = new WeakMap<object, MethodRecord>();
/** Legacy decorators: the record of each (prototype or constructor, method name). */
const recordsByMember = new WeakMap<object, Map<string | symbol, MethodRecord>>();
/** `@CacheConfig` of each class (its own, not inherited). */
const classConfigs = new WeakMap<AnyClass, CacheConfigMetadata>();
let classConfigVersion = 0;

/** The name a decorator uses when neither it nor `@CacheConfig` names a manager, and under which `CacheInterceptor.use(manager)` registers. */
export const DEFAULT_MANAGER_NAME = 'default';
/** Written by TypeScript with `emitDecoratorMetadata`; read through `reflect-metadata` if loaded. */
export const DESIGN_RETURN_TYPE = 'design:returntype';

export function recordOfTrampoline(fn: unknown): MethodRecord | undefined {
  return typeof fn === 'function' ? recordsByTrampoline.get(fn) : undefined;
}

export function registerTrampoline(record: MethodRecord): void {
  recordsByTrampoline.set(record.trampoline, record);
}

export function memberRecord(home: object, name: string | symbol): MethodRecord | undefined {
  return recordsByMember.get(home)?.get(name);
}

export function registerMember(home: object, record: MethodRecord): void {
  let members = recordsByMember.get(home);
  if (!members) recordsByMember.set(home, (members = new Map<string | symbol, MethodRecord>()));
  members.set(record.name, record);
}

export function ownClassConfig(ctor: AnyClass): CacheConfigMetadata | undefined {
  return classConfigs.get(ctor);
}

export function defineClassConfig(ctor: AnyClass, config: CacheConfigMetadata): void {
  if (classConfigs.has(ctor)) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_DECORATOR_MISUSE',
      `@CacheConfig appears twice on ${ctor.name || 'a class'}; merge the options into one.`,
    );
  }
  classConfigs.set(ctor, config);
  classConfigVersion++;
}

/** Changes whenever a class configuration is added, so that merged views can be memoized. */
export function currentClassConfigVersion(): number {
  return classConfigVersion;
}
