import { type AnyClass, isClass } from './any-class';
import { managerNameOf, classConfigFor } from './metadata-reader';
import { recordOfTrampoline } from './metadata-store';
import type { MethodRecord } from './method-record';

/** One decorated method of a class and the name of a manager one of its cache operations uses. */
export interface CacheManagerUse {
  /** The method: `'findById'`, or `'findById (static)'` for a static method. */
  readonly method: string;
  /** The manager's name as the decorators resolve it (`'default'` where none is named). */
  readonly manager: string;
}

/**
 * Which managers the decorated methods of `ctor` (its own and inherited, instance and static)
 * use, method by method, as a call would resolve them: the decorator's `manager` over the
 * class's `@CacheConfig` over `'default'`. For frameworks that check at startup that every
 * manager a class needs is registered, instead of failing its first call.
 */
export function managerNamesOf(ctor: AnyClass): CacheManagerUse[] {
  const config = classConfigFor(ctor);
  const uses: CacheManagerUse[] = [];
  const seen = new Set<string>();
  for (const { record, label } of decoratedMethods(ctor)) {
    const ops = [record.cacheable ?? record.many ?? record.put, ...record.evicts];
    for (const op of ops) {
      if (op === undefined) continue;
      const manager = managerNameOf(op, config);
      const id = `${label}\u0000${manager}`;
      if (seen.has(id)) continue;
      seen.add(id);
      uses.push({ method: label, manager });
    }
  }
  return uses;
}

/** The records behind the methods an instance (and the class itself) would call, nearest first. */
function* decoratedMethods(ctor: AnyClass): Generator<{ record: MethodRecord; label: string }> {
  const prototype = (ctor as { prototype?: unknown }).prototype;
  yield* recordsOnChain(prototype, Object.prototype, '');
  yield* recordsOnChain(ctor, Function.prototype, ' (static)');
}

function* recordsOnChain(
  start: unknown,
  end: object,
  suffix: string,
): Generator<{ record: MethodRecord; label: string }> {
  const names = new Set<string | symbol>();
  for (
    let holder = start;
    (typeof holder === 'object' || isClass(holder)) && holder !== null && holder !== end;
    holder = Object.getPrototypeOf(holder)
  ) {
    for (const name of Reflect.ownKeys(holder)) {
      // The nearest definition of a name is the one called: an override hides what it overrides.
      if (names.has(name)) continue;
      names.add(name);
      // The descriptor, not the property: reading a getter would run user code.
      const record = recordOfTrampoline(Object.getOwnPropertyDescriptor(holder, name)?.value);
      if (record !== undefined) yield { record, label: record.methodName + suffix };
    }
  }
}
