import { compileGlob, type GlobMatcher } from './glob';

/**
 * One invalidation, in full-key terms (prefix included): what the manager runs against Redis,
 * queues while Redis is away, and publishes so that every instance's in-process tier drops the
 * same thing. One type for all three, so that what is queued is exactly what is announced.
 */
export type Invalidation =
  | { readonly kind: 'keys'; readonly keys: readonly string[] }
  | {
      readonly kind: 'pattern';
      readonly match: string;
      /** More globs of the same pattern (escaped `~…` keys, keys with lone surrogates: key-layout.ts). */
      readonly alsoMatch?: readonly string[];
    }
  | { readonly kind: 'tags'; readonly tags: readonly string[] };

/** Every glob of a pattern invalidation. */
export function globsOf(item: Extract<Invalidation, { kind: 'pattern' }>): readonly string[] {
  return item.alsoMatch === undefined ? [item.match] : [item.match, ...item.alsoMatch];
}

/** Whether a full key is matched by any glob of a pattern invalidation (in linear time). */
export function patternMatcherOf(item: Extract<Invalidation, { kind: 'pattern' }>): GlobMatcher {
  const matchers = globsOf(item).map(compileGlob);
  return matchers.length === 1
    ? matchers[0]
    : { test: (fullKey) => matchers.some((m) => m.test(fullKey)) };
}
