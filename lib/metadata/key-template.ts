import { CacheTypeError } from '../errors/cache-type-error';
import { describe } from '../errors/invalid-argument';
import type { KeyOption, KeyPlan, TemplatePart } from './cache-metadata';

/*
 * Key templates (`'user:{0}'`, `'order:{1.id}'`) parsed into key plans, once, when the decorator
 * is applied: a malformed template is an error at class definition, and a call only renders the
 * plan (in the interceptor). Literal braces are written `{{` and `}}`, so a developer can still
 * place a Redis Cluster hash tag on purpose.
 */

const PLACEHOLDER = /^(\d+)((?:\.[^.{}]+)*)$/;

/** Parses a template; throws a `CacheTypeError` naming the mistake. `what` names the option. */
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
  throw new CacheTypeError(
    'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
    `${what} must be a template string or a function, got ${describe(option)}.`,
  );
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

function templateError(what: string, source: string, problem: string): CacheTypeError {
  return new CacheTypeError(
    'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
    `${what} "${source}" is not a valid key template: ${problem}.`,
  );
}
