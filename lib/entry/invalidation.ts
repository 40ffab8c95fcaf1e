/**
 * One invalidation, in full-key terms (prefix included): what the manager runs against Redis,
 * queues while Redis is away, and publishes so that every instance's in-process tier drops the
 * same thing. One type for all three, so that what is queued is exactly what is announced.
 */
export type Invalidation =
  | { readonly kind: 'keys'; readonly keys: readonly string[] }
  | { readonly kind: 'pattern'; readonly match: string }
  | { readonly kind: 'tags'; readonly tags: readonly string[] };
