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

/** A RegExp equivalent to a Redis glob pattern (whole-string match). */
export function globToRegExp(glob: string): RegExp {
  let source = '^';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i];
    if (char === '*') source += '[\\s\\S]*';
    else if (char === '?') source += '[\\s\\S]';
    else if (char === '\\' && i + 1 < glob.length) source += escapeRegExp(glob[++i]);
    else if (char === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) {
        source += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      source += `[${negate ? '^' : ''}${body.replace(/[\]\\]/g, '\\$&')}]`;
      i = end;
    } else source += escapeRegExp(char);
  }
  return new RegExp(source + '$');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
