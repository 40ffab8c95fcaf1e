import { CacheTypeError } from './cache-type-error';

/**
 * Refuses option names the library does not know — a typo (`keyprefix`), another library's name
 * (`ttlSeconds`), a singular for a plural (`tag`) — instead of ignoring them silently: an ignored
 * option is a cache that does not do what its author believes. The error names the closest valid
 * option when there is one, and lists them all.
 */
export function assertKnownOptions(
  options: object,
  known: ReadonlySet<string>,
  where: string,
  /** Names people bring from elsewhere, mapped to ours (`ttlSeconds` → `ttl`). */
  aliases?: Readonly<Record<string, string>>,
): void {
  // for…in allocates nothing: this runs at the start of calls whose options are not frozen.
  for (const name in options) {
    if (!known.has(name) && Object.prototype.hasOwnProperty.call(options, name)) {
      throw unknownOption(name, known, where, aliases);
    }
  }
}

function unknownOption(
  name: string,
  known: ReadonlySet<string>,
  where: string,
  aliases: Readonly<Record<string, string>> | undefined,
): CacheTypeError {
  const suggestion =
    (aliases !== undefined && Object.hasOwn(aliases, name) ? aliases[name] : undefined) ??
    closestName(name, known);
  const hint = suggestion === undefined ? '' : ` Did you mean "${suggestion}"?`;
  return new CacheTypeError(
    'ERR_CACHE_ASIDE_UNKNOWN_OPTION',
    `unknown option "${name}" in ${where}.${hint} Valid options: ${[...known].join(', ')}.`,
  );
}

/** The known name nearest to `name`: same letters in another case, contained, or a few edits away. */
export function closestName(name: string, known: ReadonlySet<string>): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const other = candidate.toLowerCase();
    if (other === lower) return candidate;
    const distance =
      lower.length >= 3 && (other.includes(lower) || lower.includes(other))
        ? 1
        : editDistance(lower, other);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** Levenshtein distance (names are short: the quadratic table is a few hundred cells). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}
