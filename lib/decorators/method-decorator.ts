import { CacheTypeError } from '../errors/cache-type-error';
import {
  DESIGN_RETURN_TYPE,
  memberRecord,
  recordOfTrampoline,
  registerMember,
  registerTrampoline,
} from '../metadata/metadata-store';
import { handleCall } from '../metadata/interception-hook';
import { type AnyMethod, MethodRecord } from '../metadata/method-record';
import { classifyDecoratorCall } from './decorator-kind';
import { isClass } from '../metadata/any-class';

/** A method a cache decorator accepts: any parameters, answering with a Promise (or thenable). */
/* eslint-disable-next-line @typescript-eslint/no-explicit-any -- any parameters, so that every method matches */
export type AsyncMethod = (this: any, ...args: any[]) => PromiseLike<unknown>;

/**
 * A method decorator in either standard, accepting only methods declared to return a Promise
 * (or another thenable): a decorated method's result comes from the cache, so it is always
 * asynchronous. On a field, getter, setter or class it is a type error, and an error at
 * decoration time where the types were bypassed.
 */
export interface CacheMethodDecorator {
  <M extends AsyncMethod>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void;
  <M extends AsyncMethod>(
    value: M,
    context: ClassMethodDecoratorContext<unknown, M>,
  ): M | undefined;
}

/**
 * Builds a decorator that adds to the method's record, installing the trampoline on first use.
 * `decorator` is its name for messages (`'@Cacheable'`).
 */
export function createMethodDecorator(
  decorator: string,
  record: (target: MethodRecord) => void,
): CacheMethodDecorator {
  return function cacheMethodDecorator(...args: unknown[]): AnyMethod | undefined {
    const site = classifyDecoratorCall(args);
    switch (site.kind) {
      case 'legacy-method': {
        assertPromiseReturnType(decorator, site.home, site.name);
        let target = memberRecord(site.home, site.name);
        if (!target) {
          target = newRecord(site.name, site.isStatic, site.descriptor.value);
          const ctor: unknown = typeof site.home === 'function' ? site.home : site.home.constructor;
          if (isClass(ctor)) target.declaringClass = ctor;
          registerMember(site.home, target);
          site.descriptor.value = target.trampoline;
        }
        record(target);
        return;
      }
      case 'standard-method': {
        const existing = recordOfTrampoline(site.value);
        if (existing) {
          record(existing);
          return;
        }
        const target = newRecord(site.name, site.isStatic, site.value);
        record(target);
        // Standard method contexts do not name the class: learn it when the class (static) or
        // an instance is initialized.
        site.context.addInitializer(function (this: unknown) {
          target.locate(this);
        });
        return target.trampoline;
      }
      case 'class':
        throw new CacheTypeError(
          'ERR_CACHE_ASIDE_DECORATOR_MISUSE',
          `${decorator}() decorates methods, not classes (it was applied to the class ` +
            `${site.ctor.name || '(anonymous)'}); use @CacheConfig() for class-wide settings.`,
        );
      default:
        throw new CacheTypeError(
          'ERR_CACHE_ASIDE_DECORATOR_MISUSE',
          `${decorator}() decorates methods only; it was applied to ${site.description}.`,
        );
    }
  } as CacheMethodDecorator;
}

/** Wraps the method once: the trampoline keeps its name and length and hands every call over. */
function newRecord(name: string | symbol, isStatic: boolean, original: AnyMethod): MethodRecord {
  const record = new MethodRecord(name, isStatic, original);
  const trampoline = function (this: unknown, ...args: unknown[]): Promise<unknown> {
    return handleCall(record, this, args);
  };
  Object.defineProperty(trampoline, 'name', { value: original.name, configurable: true });
  Object.defineProperty(trampoline, 'length', { value: original.length, configurable: true });
  carryOver(original, trampoline);
  record.trampoline = trampoline;
  registerTrampoline(record);
  return record;
}

/**
 * What other decorators below ours attached to the method itself (NestJS-style
 * `Reflect.defineMetadata(key, value, method)`, or own properties) stays visible on the
 * trampoline, so that the order of decorators does not matter to them either.
 */
function carryOver(original: AnyMethod, trampoline: AnyMethod): void {
  for (const key of Object.keys(original)) {
    (trampoline as unknown as Record<string, unknown>)[key] = (
      original as unknown as Record<string, unknown>
    )[key];
  }
  const reflect = Reflect as unknown as {
    getOwnMetadataKeys?: (target: object) => unknown[];
    getOwnMetadata?: (key: unknown, target: object) => unknown;
    defineMetadata?: (key: unknown, value: unknown, target: object) => void;
  };
  if (!reflect.getOwnMetadataKeys || !reflect.getOwnMetadata || !reflect.defineMetadata) return;
  for (const key of reflect.getOwnMetadataKeys(original)) {
    reflect.defineMetadata(key, reflect.getOwnMetadata(key, original), trampoline);
  }
}

interface ReflectWithMetadata {
  hasMetadata?: (key: string, target: object, property: string | symbol) => boolean;
  getMetadata?: (key: string, target: object, property: string | symbol) => unknown;
}

/**
 * With `emitDecoratorMetadata` (and `reflect-metadata` loaded) the declared return type is known
 * at decoration time: anything that is certainly not a Promise is refused there. `Object` stands
 * for types TypeScript cannot name at run time (unions, interfaces such as PromiseLike), so it
 * passes; without the metadata there is nothing to check and the types alone guard.
 */
function assertPromiseReturnType(decorator: string, home: object, name: string | symbol): void {
  const reflect = Reflect as typeof Reflect & ReflectWithMetadata;
  if (typeof reflect.hasMetadata !== 'function' || typeof reflect.getMetadata !== 'function')
    return;
  if (!reflect.hasMetadata(DESIGN_RETURN_TYPE, home, name)) return;
  const returnType: unknown = reflect.getMetadata(DESIGN_RETURN_TYPE, home, name);
  if (returnType === Object) return;
  if (
    typeof returnType === 'function' &&
    (returnType === Promise || prototypeOf(returnType) instanceof Promise)
  )
    return;
  const owner = typeof home === 'function' ? home.name : home.constructor.name;
  const declared = typeof returnType === 'function' ? returnType.name : 'void';
  throw new CacheTypeError(
    'ERR_CACHE_ASIDE_DECORATOR_MISUSE',
    `${decorator}() on ${owner}.${String(name)}: the method is declared to return ` +
      `${declared}, not a Promise. A cached method answers asynchronously; make it async (or declare ` +
      `Promise<${declared}>).`,
  );
}

/** A constructor's `prototype`, typed as what it is to us: unknown. */
function prototypeOf(ctor: { readonly prototype?: unknown }): unknown {
  return ctor.prototype;
}
