import { describe } from '../errors/invalid-argument';
import type { KeyOption, KeyPlan, TemplatePart } from '../metadata/cache-metadata';
import { encodeArguments, escapeKeyText } from './stable-encoding';

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
      if (source[i + 1] !== '}') throw templateError(what, source, `a lone "}" at position ${i} (write "}}" for a literal brace)`);
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
      parts.push({ index: Number(match[1]), path: match[2] ? match[2].slice(1).split('.') : [], source: `{${inner}}` });
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
  if (typeof option === 'string') return { kind: 'template', source: option, parts: parseKeyTemplate(option, what) };
  throw new TypeError(`[cache-aside] ${what} must be a template string or a function, got ${describe(option)}.`);
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
      if (key.length === 0) throw new TypeError(`[cache-aside] ${ctx.what} "${plan.source}" produced an empty key.`);
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

/** Makes Redis MATCH take `text` literally. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
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
  if (declaringClass !== undefined && owner !== declaringClass) head += `(${className(declaringClass)})`;
  return `${head}.${isStatic ? 'static.' : ''}${escapeKeyText(methodName)}`;
}

function className(ctor: Function | undefined): string {
  return escapeKeyText(ctor?.name || '(anonymous)');
}

function render(plan: Extract<KeyPlan, { kind: 'template' }>, ctx: KeyContext, escape: (value: string) => string): string {
  let key = '';
  for (const part of plan.parts) {
    if ('text' in part) key += part.text;
    else key += escape(templateValue(part, plan.source, ctx));
  }
  return key;
}

function templateValue(part: Extract<TemplatePart, { index: number }>, source: string, ctx: KeyContext): string {
  let value: unknown = ctx.args[part.index];
  let reached = `argument ${part.index}`;
  for (const segment of part.path) {
    if (value === null || value === undefined) break;
    value = (value as Record<string, unknown>)[segment];
    reached += `.${segment}`;
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
        `[cache-aside] ${ctx.what} "${source}": ${part.source} is ${describe(value)} (${reached}); a key ` +
          'template takes strings, numbers, bigints, booleans and valid Dates. Point the placeholder ' +
          'at such a property, or use a key function.',
      );
  }
}

function checkedResult(result: unknown, ctx: KeyContext): string {
  if (typeof result !== 'string' || result.length === 0) {
    throw new TypeError(`[cache-aside] ${ctx.what} returned ${describe(result)}; it must return a non-empty string.`);
  }
  return result;
}

function templateError(what: string, source: string, problem: string): TypeError {
  return new TypeError(`[cache-aside] ${what} "${source}" is not a valid key template: ${problem}.`);
}
