/**
 * Redis glob patterns (`*`, `?`, `[...]`, `\` escapes), as MATCH understands them. The manager
 * needs them on its own side for two things: escaping the key prefix inside a pattern, and
 * telling whether a key is covered by an invalidation still waiting to reach Redis.
 */

const GLOB_SPECIAL = /[*?[\]\\]/g;

/** Escapes text so that MATCH takes it literally. */
export function escapeGlob(text: string): string {
  return text.replace(GLOB_SPECIAL, '\\$&');
}

/**
 * A RegExp equivalent to a Redis glob pattern (whole-string match). Never throws: a reversed
 * range (`[z-a]`) is read the way Redis reads it, as the same range in order.
 */
export function globToRegExp(glob: string): RegExp {
  let source = '^';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i];
    if (char === '*') source += '[\\s\\S]*';
    else if (char === '?') source += '[\\s\\S]';
    else if (char === '\\' && i + 1 < glob.length) source += escapeRegExp(glob[++i]);
    else if (char === '[') {
      const parsed = characterClass(glob, i + 1);
      if (parsed === undefined) source += '\\[';
      else {
        source += parsed.source;
        i = parsed.end;
      }
    } else source += escapeRegExp(char);
  }
  return new RegExp(source + '$');
}

/** A `[...]` class starting after its `[`: its RegExp source and the index of its `]`. */
function characterClass(glob: string, from: number): { source: string; end: number } | undefined {
  let i = from;
  const negate = glob[i] === '^';
  if (negate) i++;
  const parts: string[] = [];
  while (i < glob.length && glob[i] !== ']') {
    let start = glob[i];
    if (start === '\\' && i + 1 < glob.length) start = glob[++i];
    if (glob[i + 1] === '-' && i + 2 < glob.length && glob[i + 2] !== ']') {
      let end = glob[i + 2];
      i += 2;
      if (end === '\\' && i + 1 < glob.length) end = glob[++i];
      const [low, high] = start <= end ? [start, end] : [end, start];
      parts.push(`${escapeClassChar(low)}-${escapeClassChar(high)}`);
    } else parts.push(escapeClassChar(start));
    i++;
  }
  if (i >= glob.length) return undefined; // no closing bracket: a literal '['
  return { source: `[${negate ? '^' : ''}${parts.join('')}]`, end: i };
}

function escapeClassChar(char: string): string {
  return /[\\\]^-]/.test(char) ? `\\${char}` : char;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
