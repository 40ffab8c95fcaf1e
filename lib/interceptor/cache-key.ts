import { describe } from '../errors/invalid-argument';
import type { KeyOption, KeyPlan, TemplatePart } from '../metadata/cache-metadata';
import { encodeArguments, escapeKeyText } from './stable-encoding';
import { escapeGlob } from '../manager/glob';

/*
 * Keys of decorated methods: templates (`'user:{0}'`, `'order:{1.id}'`), key functions, and the
 * stable default key `Class.method:<encoded arguments>`.
 *
 * A template is parsed once, when the decorator is applied, so that a malformed one is an error
 * at class definition. Values put into a key are percent-encoded where they contain `%`, `{` or
 * `}`: a user-supplied value can never form a Redis Cluster hash tag (`{...}`) and pick the slot.
 * Literal braces in a template are written `{{` and `}}`, so a developer can still place a hash
 * tag on purpose. A key function's result is used as it is.
 */

const PLACEHOLDER = /^(\d+)((?:\.[^.{}]+)*)$/;

/** Parses a template; throws a `TypeError` naming the mistake. `what` names the option for messages. */
export function parseKeyTemplate(source: string, what: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = '';
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === '}') {
      if (source[i + 1] !== '}')
        throw templateError(
          what,
          source,
          `a lone "}" at position ${i} (write "}}" for a literal brace)`,
        );
      text += '}';
      i++;
    } else if (char === '{') {
      if (source[i + 1] === '{') {
        text += '{';
        i++;
        continue;
      }
      const end = source.indexOf('}', i + 1);
      if (end === -1) throw templateError(what, source, `"{" at position ${i} is never closed`);
      const inner = source.slice(i + 1, end);
      const match = PLACEHOLDER.exec(inner);
      if (!match) {
        throw templateError(
          what,
          source,
          `"{${inner}}" is not a placeholder; use {0} for the first argument and {0.id} for a property of it`,
        );
      }
      if (text) parts.push({ text });
      text = '';
      parts.push({
        index: Number(match[1]),
        path: match[2] ? match[2].slice(1).split('.') : [],
        source: `{${inner}}`,
      });
      i = end;
    } else {
      text += char;
    }
  }
  if (text) parts.push({ text });
  if (parts.length === 0) throw templateError(what, source, 'it is empty');
  return parts;
}

/** The plan for a `key` option: a parsed template, a function, or (absent) the default key. */
export function compileKey(option: KeyOption | undefined, what: string): KeyPlan {
  if (option === undefined) return { kind: 'default' };
  if (typeof option === 'function') return { kind: 'function', fn: option };
  if (typeof option === 'string')
    return { kind: 'template', source: option, parts: parseKeyTemplate(option, what) };
  throw new TypeError(
    `[cache-aside] ${what} must be a template string or a function, got ${describe(option)}.`,
  );
}

type Placeholder = Extract<TemplatePart, { index: number }>;

/** A key (with its namespace) from the instance and the arguments of one call. */
export type KeyBuilder = (thisArg: unknown, args: readonly unknown[]) => string;

/**
 * The key builder of a method, prepared once: the namespace prefix and the template's text are
 * joined ahead of time, so that a call only reads its arguments and concatenates. Builds the same
 * keys, and throws the same errors, as `withNamespace(namespace, buildKey(plan, ctx))`.
 */
export function compileKeyBuilder(
  plan: KeyPlan,
  namespace: string | undefined,
  identity: string,
  what: string,
): KeyBuilder {
  const prefix = namespace === undefined ? '' : `${namespace}:`;
  switch (plan.kind) {
    case 'default': {
      const head = `${prefix}${identity}:`;
      return (_thisArg, args) => head + encodeArguments(args);
    }
    case 'function': {
      const fn = plan.fn;
      return (thisArg, args) => prefix + checkedKey(fn.apply(thisArg, args as unknown[]), what);
    }
    case 'template':
      return compileTemplate(plan, prefix, what);
  }
}

function compileTemplate(
  plan: Extract<KeyPlan, { kind: 'template' }>,
  prefix: string,
  what: string,
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
  const empty = (): never => {
    throw new TypeError(`[cache-aside] ${what} "${source}" produced an empty key.`);
  };
  if (slots.length === 1) {
    const [slot] = slots;
    const [before, after] = texts;
    return (_thisArg, args) => {
      const key = before + templateValue(slot, source, args, what) + after;
      return key.length > 0 ? prefix + key : empty();
    };
  }
  return (_thisArg, args) => {
    let key = texts[0];
    for (let i = 0; i < slots.length; i++)
      key += templateValue(slots[i], source, args, what) + texts[i + 1];
    return key.length > 0 ? prefix + key : empty();
  };
}

/** Argument positions a template reads. */
export function templateIndexes(plan: Extract<KeyPlan, { kind: 'template' }>): Set<number> {
  const indexes = new Set<number>();
  for (const part of plan.parts) if ('index' in part) indexes.add(part.index);
  return indexes;
}

/** The placeholders' positions, the number of leading positions a key function declares, or all (`undefined`). */
export type KeyedPositions = ReadonlySet<number> | number | undefined;

/** Whether argument `index` takes part in the key. */
export function isKeyed(keyed: KeyedPositions, index: number): boolean {
  return keyed === undefined || (typeof keyed === 'number' ? index < keyed : keyed.has(index));
}

/**
 * The argument positions that take part in an item's key: all of them for the default key; the
 * placeholders of a template; the declared parameters of a key function. `undefined`: all.
 */
export function keyedPositions(plan: KeyPlan): KeyedPositions {
  switch (plan.kind) {
    case 'default':
      return undefined;
    case 'template':
      return templateIndexes(plan);
    case 'function':
      return plan.fn.length;
  }
}

/** What a key is built from at call time. */
export interface KeyContext {
  readonly thisArg: unknown;
  readonly args: readonly unknown[];
  /** `Class.method`, the head of default keys. */
  readonly identity: string;
  /** For messages: `@Cacheable key of UserRepository.findById`. */
  readonly what: string;
}

/** The key (without namespace or prefix) for one call. */
export function buildKey(plan: KeyPlan, ctx: KeyContext): string {
  switch (plan.kind) {
    case 'default':
      return `${ctx.identity}:${encodeArguments(ctx.args)}`;
    case 'function':
      return checkedResult(plan.fn.apply(ctx.thisArg, ctx.args as unknown[]), ctx);
    case 'template': {
      const key = render(plan, ctx, (value) => value);
      if (key.length === 0)
        throw new TypeError(`[cache-aside] ${ctx.what} "${plan.source}" produced an empty key.`);
      return key;
    }
  }
}

/** A glob for `invalidatePattern`: values from the arguments are glob-escaped, the template's text is not. */
export function buildPattern(plan: KeyPlan, ctx: KeyContext): string {
  switch (plan.kind) {
    case 'default':
      throw new TypeError(`[cache-aside] ${ctx.what} has no pattern.`);
    case 'function':
      return checkedResult(plan.fn.apply(ctx.thisArg, ctx.args as unknown[]), ctx);
    case 'template':
      return render(plan, ctx, escapeGlob);
  }
}

/** `namespace:key`, or the key itself without a namespace. */
export function withNamespace(namespace: string | undefined, key: string): string {
  return namespace === undefined ? key : `${namespace}:${key}`;
}

/**
 * `Class.method` of a call: the class of the instance (or, for a static method, the class it
 * was called on); followed by the declaring class in parentheses when that is another one —
 * `UserRepository(BaseRepository).findById` — so that subclasses sharing an inherited method do
 * not share its entries, and an override calling `super.method()` does not wait on itself.
 * Static methods read `Class.static.method`.
 */
export function methodIdentity(
  runtimeClass: Function | undefined,
  declaringClass: Function | undefined,
  methodName: string,
  isStatic: boolean,
): string {
  const owner = runtimeClass ?? declaringClass;
  let head = className(owner);
  if (declaringClass !== undefined && owner !== declaringClass)
    head += `(${className(declaringClass)})`;
  return `${head}.${isStatic ? 'static.' : ''}${escapeKeyText(methodName)}`;
}

function className(ctor: Function | undefined): string {
  return escapeKeyText(ctor?.name || '(anonymous)');
}

function render(
  plan: Extract<KeyPlan, { kind: 'template' }>,
  ctx: KeyContext,
  escape: (value: string) => string,
): string {
  let key = '';
  for (const part of plan.parts) {
    if ('text' in part) key += part.text;
    else key += escape(templateValue(part, plan.source, ctx.args, ctx.what));
  }
  return key;
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
      return escapeKeyText(value);
    case 'number':
      return Object.is(value, -0) ? '0' : String(value);
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
      throw new TypeError(
        `[cache-aside] ${what} "${source}": ${part.source} is ${describe(value)} (${reachedPath(part, args)}); a key ` +
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

function checkedResult(result: unknown, ctx: KeyContext): string {
  return checkedKey(result, ctx.what);
}

function checkedKey(result: unknown, what: string): string {
  if (typeof result !== 'string' || result.length === 0) {
    throw new TypeError(
      `[cache-aside] ${what} returned ${describe(result)}; it must return a non-empty string.`,
    );
  }
  return result;
}

function templateError(what: string, source: string, problem: string): TypeError {
  return new TypeError(
    `[cache-aside] ${what} "${source}" is not a valid key template: ${problem}.`,
  );
}

/** Makes Redis MATCH take `text` literally (the manager's own escaping, shared). */
export { escapeGlob };
