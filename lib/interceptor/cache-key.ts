import { CacheTypeError } from '../errors/cache-type-error';
import { describe } from '../errors/invalid-argument';
import type { KeyPlan, TemplatePart } from '../metadata/cache-metadata';
import { encodeArguments, encodeKeySegment, escapeKeyText } from './stable-encoding';
import type { TenantHead } from './tenant';
import type { AnyClass } from '../metadata/any-class';

/*
 * The one key builder of decorated methods, for reads, puts and evictions alike: templates
 * (parsed at decoration, in the metadata layer), key functions, and the stable default key
 * `Class.method:<encoded arguments>`, each under the class's namespace.
 *
 * Values put into a template, the namespace and the tenant are encoded injectively as key
 * segments (`encodeKeySegment`): letters, digits, `-`, `_`, `.` and non-ASCII text stay readable,
 * every other ASCII character is `%XX`, a lone surrogate `%uXXXX`. So a value cannot reach into
 * the next segment (`'acme:user:1'` never meets `'acme'` + `'1:user:2'`), a namespace never
 * prefixes another (`users` vs `users:admin`), a value never forms a Redis Cluster hash tag, and
 * a pattern's values match only themselves. A key function's result is used as it is.
 */

/** The head of a namespace's keys: the encoded namespace and `:`, or nothing. */
export function namespaceHead(namespace: string | undefined): string {
  return namespace === undefined ? '' : `${encodeKeySegment(namespace)}:`;
}

/** A key (with its namespace), or a glob for `invalidatePattern`, from one call. */
export type KeyBuilder = (thisArg: unknown, args: readonly unknown[]) => string;

/** `key`: a key to read, write or remove. `pattern`: a glob whose interpolated values are literal. */
export type KeyMode = 'key' | 'pattern';

type Placeholder = Extract<TemplatePart, { index: number }>;

const GLOB_SPECIAL = /[*?[\]\\]/g;

/** Escapes text so that Redis MATCH takes it literally. */
export function escapeGlob(text: string): string {
  return text.replace(GLOB_SPECIAL, '\\$&');
}

/**
 * The key builder of one key plan of a method, prepared once: the namespace and the template's
 * text are joined ahead of time, so that a call only reads its arguments and concatenates.
 * `what` names the option for messages (`@Cacheable key of UserRepository.findById`). With a
 * tenant, every key starts with the call's tenant head.
 */
export function compileKeyBuilder(
  plan: KeyPlan,
  namespace: string | undefined,
  identity: string,
  what: string,
  mode: KeyMode = 'key',
  tenant?: TenantHead,
): KeyBuilder {
  const inner = compileBody(plan, namespaceHead(namespace), identity, what, mode === 'pattern');
  return tenant === undefined
    ? inner
    : (thisArg, args) => tenant(thisArg, args) + inner(thisArg, args);
}

/** The key under its namespace (encoded segments hold no glob character, patterns included). */
function compileBody(
  plan: KeyPlan,
  prefix: string,
  identity: string,
  what: string,
  pattern: boolean,
): KeyBuilder {
  switch (plan.kind) {
    case 'default': {
      if (pattern)
        throw new CacheTypeError('ERR_CACHE_ASIDE_INVALID_ARGUMENT', `${what} has no pattern.`);
      const head = `${prefix}${identity}:`;
      return (_thisArg, args) => head + encodeArguments(args);
    }
    case 'function': {
      const fn = plan.fn;
      return (thisArg, args) => prefix + checkedKey(fn.apply(thisArg, args as unknown[]), what);
    }
    case 'template':
      return compileTemplate(plan, prefix, what, pattern);
  }
}

function compileTemplate(
  plan: Extract<KeyPlan, { kind: 'template' }>,
  prefix: string,
  what: string,
  pattern: boolean,
): KeyBuilder {
  // texts[i] precedes slots[i]; texts[slots.length] follows the last one.
  const texts: string[] = [''];
  const slots: Placeholder[] = [];
  for (const part of plan.parts) {
    if ('text' in part) texts[texts.length - 1] += part.text;
    else {
      slots.push(part);
      texts.push('');
    }
  }
  const source = plan.source;
  if (slots.length === 0) {
    const key = prefix + texts[0];
    return () => key;
  }
  const value = pattern
    ? (slot: Placeholder, args: readonly unknown[]) =>
        escapeGlob(templateValue(slot, source, args, what))
    : (slot: Placeholder, args: readonly unknown[]) => templateValue(slot, source, args, what);
  const empty = (): never => {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      `${what} "${source}" produced an empty key.`,
    );
  };
  if (slots.length === 1) {
    const [slot] = slots;
    const [before, after] = texts;
    return (_thisArg, args) => {
      const key = before + value(slot, args) + after;
      return key.length > 0 ? prefix + key : empty();
    };
  }
  return (_thisArg, args) => {
    let key = texts[0];
    for (let i = 0; i < slots.length; i++) key += value(slots[i], args) + texts[i + 1];
    return key.length > 0 ? prefix + key : empty();
  };
}

/**
 * `Class.method` of a call: the class of the instance (or, for a static method, the class it
 * was called on); followed by the declaring class in parentheses when that is another one —
 * `UserRepository(BaseRepository).findById` — so that subclasses sharing an inherited method do
 * not share its entries, and an override calling `super.method()` does not wait on itself.
 * Static methods read `Class.static.method`.
 */
export function methodIdentity(
  runtimeClass: AnyClass | undefined,
  declaringClass: AnyClass | undefined,
  methodName: string,
  isStatic: boolean,
): string {
  const owner = runtimeClass ?? declaringClass;
  let head = className(owner);
  if (declaringClass !== undefined && owner !== declaringClass)
    head += `(${className(declaringClass)})`;
  return `${head}.${isStatic ? 'static.' : ''}${escapeKeyText(methodName)}`;
}

function className(ctor: AnyClass | undefined): string {
  return escapeKeyText(ctor?.name || '(anonymous)');
}

function templateValue(
  part: Placeholder,
  source: string,
  args: readonly unknown[],
  what: string,
): string {
  let value: unknown = args[part.index];
  for (let i = 0; i < part.path.length; i++) {
    if (value === null || value === undefined) break;
    value = (value as Record<string, unknown>)[part.path[i]];
  }
  switch (typeof value) {
    case 'string':
      return encodeKeySegment(value);
    case 'number':
      // Digits, '-', '.', 'e', Infinity and NaN are plain; only an exponent's '+' needs escaping.
      return Object.is(value, -0) ? '0' : String(value).replace('+', '%2B');
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      if (value instanceof Date && !Number.isNaN(value.getTime()))
        return encodeKeySegment(value.toISOString());
      throw new CacheTypeError(
        'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
        `${what} "${source}": ${part.source} is ${describe(value)} (${reachedPath(part, args)}); a key ` +
          'template takes strings, numbers, bigints, booleans and valid Dates. Point the placeholder ' +
          'at such a property, or use a key function.',
      );
  }
}

/** How far a placeholder's path got before it met null or undefined: `argument 0.address.city`. */
function reachedPath(part: Placeholder, args: readonly unknown[]): string {
  let value: unknown = args[part.index];
  let reached = `argument ${part.index}`;
  for (const segment of part.path) {
    if (value === null || value === undefined) break;
    value = (value as Record<string, unknown>)[segment];
    reached += `.${segment}`;
  }
  return reached;
}

/** A key function's result, or a `CacheTypeError` naming the option. */
export function checkedKey(result: unknown, what: string): string {
  if (typeof result !== 'string' || result.length === 0) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      `${what} returned ${describe(result)}; it must return a non-empty string.`,
    );
  }
  return result;
}
