import type { AnyMethod } from '../metadata/method-record';
import { type AnyClass, isClass } from '../metadata/any-class';

/**
 * The one place that tells the two decorator standards apart, from the arguments a decorator
 * receives:
 *
 * - standard (TC39, TypeScript 5 without `experimentalDecorators`): `(value, context)`, where
 *   `context` is an object with a string `kind` ('method', 'class', 'field', 'getter', 'setter',
 *   'accessor') and an `addInitializer` function;
 * - legacy (`experimentalDecorators`): `(constructor)` for a class, `(target, key, descriptor)`
 *   for a method or accessor, `(target, key, undefined)` or `(target, key)` for a field, and
 *   `(target, key, index)` for a parameter. `target` is the prototype, or the constructor for a
 *   static member.
 */
export type DecorationSite =
  | {
      readonly kind: 'legacy-method';
      /** The prototype, or the constructor for a static method. */
      readonly home: object;
      readonly name: string | symbol;
      readonly isStatic: boolean;
      readonly descriptor: Omit<PropertyDescriptor, 'value'> & { value: AnyMethod };
    }
  | {
      readonly kind: 'standard-method';
      readonly name: string | symbol;
      readonly isStatic: boolean;
      readonly value: AnyMethod;
      readonly context: ClassMethodDecoratorContext;
    }
  | { readonly kind: 'class'; readonly ctor: AnyClass }
  /** Anything a cache decorator cannot go on, described for the error message. */
  | { readonly kind: 'other'; readonly description: string };

export function classifyDecoratorCall(args: readonly unknown[]): DecorationSite {
  const [first, second, third] = args;
  if (args.length === 2 && isStandardContext(second)) return classifyStandard(first, second);
  if (args.length === 1 && isClass(first)) return { kind: 'class', ctor: first };
  if ((args.length === 2 || args.length === 3) && isObjectLike(first) && isPropertyKey(second)) {
    return classifyLegacyMember(first, second, third);
  }
  return {
    kind: 'other',
    description: `something that is not a class member (called with ${args.length} arguments)`,
  };
}

function classifyStandard(value: unknown, context: DecoratorContext): DecorationSite {
  const name = String(context.name ?? '(anonymous)');
  if (context.kind === 'class' && isClass(value)) return { kind: 'class', ctor: value };
  if (context.kind === 'method' && typeof value === 'function') {
    if (context.private) {
      return {
        kind: 'other',
        description: `the private method ${name} (give it a regular name; the cache needs to find it on the class)`,
      };
    }
    return {
      kind: 'standard-method',
      name: context.name as string | symbol,
      isStatic: context.static === true,
      value: value as AnyMethod,
      context: context as unknown as ClassMethodDecoratorContext,
    };
  }
  return { kind: 'other', description: `the ${context.kind} ${name}` };
}

function classifyLegacyMember(
  target: object,
  key: string | symbol,
  descriptor: unknown,
): DecorationSite {
  const owner =
    typeof target === 'function'
      ? target.name
      : (target as { constructor?: { name?: string } }).constructor?.name;
  const member = `${owner ? `${owner}.` : ''}${String(key)}`;
  if (typeof descriptor === 'number')
    return { kind: 'other', description: `parameter ${descriptor} of ${member}` };
  if (descriptor === undefined) return { kind: 'other', description: `the field ${member}` };
  const d = descriptor as PropertyDescriptor;
  if (d.get || d.set)
    return { kind: 'other', description: `the ${d.get ? 'getter' : 'setter'} ${member}` };
  if (typeof d.value !== 'function') return { kind: 'other', description: `the field ${member}` };
  return {
    kind: 'legacy-method',
    home: target,
    name: key,
    isStatic: typeof target === 'function',
    descriptor: d as Omit<PropertyDescriptor, 'value'> & { value: AnyMethod },
  };
}

interface DecoratorContext {
  readonly kind: string;
  readonly name?: string | symbol;
  readonly static?: boolean;
  readonly private?: boolean;
}

function isStandardContext(value: unknown): value is DecoratorContext {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { kind?: unknown }).kind === 'string' &&
    typeof (value as { addInitializer?: unknown }).addInitializer === 'function'
  );
}

function isObjectLike(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

function isPropertyKey(value: unknown): value is string | symbol {
  return typeof value === 'string' || typeof value === 'symbol';
}
