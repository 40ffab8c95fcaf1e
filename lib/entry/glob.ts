/**
 * Redis glob patterns (`*`, `?`, `[...]`, `\` escapes), as MATCH understands them. The manager
 * needs them on its own side for two things: escaping the key prefix inside a pattern, and
 * telling whether a key is covered by an invalidation still waiting to reach Redis (or one that
 * another instance published on the L1 bus).
 *
 * Patterns come from callers and from the bus, so matching must never be slow whatever the
 * pattern: a translation to a RegExp backtracks exponentially on `*a*a*a…*b`. The matcher below
 * walks the key once per star at most (time ≤ pattern × key), and patterns are bounded in size.
 */

import { CacheRangeError } from '../errors/cache-range-error';

const GLOB_SPECIAL = /[*?[\]\\]/g;

/** The longest glob accepted, in UTF-16 code units: far above any real pattern, cheap to match. */
export const MAX_GLOB_LENGTH = 1024;

/** A pattern longer than MAX_GLOB_LENGTH is refused before anything is sent or queued. */
export function assertGlobLength(glob: string): void {
  if (glob.length > MAX_GLOB_LENGTH) {
    throw new CacheRangeError(
      'ERR_CACHE_ASIDE_OUT_OF_RANGE',
      `pattern must be at most ${MAX_GLOB_LENGTH} characters, got ${glob.length}.`,
    );
  }
}

/** Escapes text so that MATCH takes it literally. */
export function escapeGlob(text: string): string {
  return text.replace(GLOB_SPECIAL, '\\$&');
}

/** A compiled glob: whole-string matching, as Redis MATCH does. */
export interface GlobMatcher {
  test(text: string): boolean;
}

type Token =
  | { readonly kind: 'char'; readonly char: string }
  | { readonly kind: 'one' }
  | { readonly kind: 'star' }
  | { readonly kind: 'class'; readonly negate: boolean; readonly ranges: readonly string[] };

/**
 * Compiles a glob once for many matches. Never throws: a reversed range (`[z-a]`) is read the
 * way Redis reads it, as the same range in order, and a `[` with no closing `]` is a literal.
 */
export function compileGlob(glob: string): GlobMatcher {
  const tokens = tokenize(glob);
  return { test: (text) => matches(tokens, text) };
}

function tokenize(glob: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i];
    if (char === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (char === '?') tokens.push({ kind: 'one' });
    else if (char === '\\' && i + 1 < glob.length) tokens.push({ kind: 'char', char: glob[++i] });
    else if (char === '[') {
      const parsed = characterClass(glob, i + 1);
      if (parsed === undefined) tokens.push({ kind: 'char', char });
      else {
        tokens.push(parsed.token);
        i = parsed.end;
      }
    } else tokens.push({ kind: 'char', char });
  }
  return tokens;
}

/** A `[...]` class starting after its `[`: the token and the index of its `]`. */
function characterClass(glob: string, from: number): { token: Token; end: number } | undefined {
  let i = from;
  const negate = glob[i] === '^';
  if (negate) i++;
  // Each range is two characters, low then high; a single character is a range of one.
  const ranges: string[] = [];
  while (i < glob.length && glob[i] !== ']') {
    let start = glob[i];
    if (start === '\\' && i + 1 < glob.length) start = glob[++i];
    if (glob[i + 1] === '-' && i + 2 < glob.length && glob[i + 2] !== ']') {
      let end = glob[i + 2];
      i += 2;
      if (end === '\\' && i + 1 < glob.length) end = glob[++i];
      ranges.push(start <= end ? start + end : end + start);
    } else ranges.push(start + start);
    i++;
  }
  if (i >= glob.length) return undefined; // no closing bracket: a literal '['
  return { token: { kind: 'class', negate, ranges }, end: i };
}

function matchesOne(token: Token, char: string): boolean {
  switch (token.kind) {
    case 'char':
      return token.char === char;
    case 'one':
      return true;
    case 'class': {
      const inside = token.ranges.some((range) => range[0] <= char && char <= range[1]);
      return inside !== token.negate;
    }
    case 'star':
      return false;
  }
}

/**
 * Wildcard matching with one remembered star: on a mismatch, the last star takes one more
 * character and matching resumes after it. Earlier stars never need revisiting (whatever they
 * took, the last star can take instead), so this is exact and never exponential.
 */
function matches(tokens: readonly Token[], text: string): boolean {
  let t = 0;
  let s = 0;
  let starToken = -1;
  let starText = 0;
  while (s < text.length) {
    const token = tokens[t] as Token | undefined;
    if (token !== undefined && token.kind === 'star') {
      starToken = t++;
      starText = s;
    } else if (token !== undefined && matchesOne(token, text[s])) {
      t++;
      s++;
    } else if (starToken >= 0) {
      t = starToken + 1;
      s = ++starText;
    } else return false;
  }
  while (t < tokens.length && tokens[t].kind === 'star') t++;
  return t === tokens.length;
}
