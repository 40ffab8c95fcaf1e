import { CacheTypeError } from '../errors/cache-type-error';
import { describe } from '../errors/invalid-argument';
import type { TagsOption } from '../metadata/cache-metadata';

/*
 * Checks on what users' callbacks return at call time (tags, keys), with messages that name the
 * option and the method.
 */

/** `value` as an array of non-empty strings, or a `TypeError` naming `what` (`@Cacheable tags of Repo.find`). */
export function checkedStrings(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0)) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      `${what} returned ${describe(value)}; it must return an array of non-empty strings.`,
    );
  }
  return value as string[];
}

/** The tags of one call: fixed, or computed from the arguments; `undefined` when there are none. */
export function tagsFor(
  option: TagsOption | undefined,
  thisArg: unknown,
  args: readonly unknown[],
  what: string,
): readonly string[] | undefined {
  if (option === undefined) return undefined;
  if (typeof option !== 'function') return option.length > 0 ? option : undefined;
  const tags = checkedStrings(option.apply(thisArg, args as unknown[]), what);
  return tags.length > 0 ? tags : undefined;
}
