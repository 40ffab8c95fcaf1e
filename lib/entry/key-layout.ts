import { escapeGlob } from './glob';

/**
 * The layout of everything a manager stores or publishes, all under its `keyPrefix`, so that one
 * ACL pattern (`~<prefix>* &<prefix>*`) confines it:
 *
 * - an entry (and its load lease):  `<prefix><key>`   (a key that begins with `~` gets one more)
 * - a tag's version token:          `<prefix>~t:<tag>`
 * - the L1 invalidation channel:    `<prefix>~l1`
 *
 * Internal names begin with `~` and a character other than `~`; an entry key that begins with `~`
 * is stored as `~~…`. So no key a caller passes can meet an internal name, and two managers whose
 * prefixes nest (`app:` and `app:x:`) never share a tag key (`app:~t:x:t` vs `app:x:~t:t`).
 */
export const INTERNAL_MARKER = '~';

/** Where the entry for `key` lives. */
export function fullKeyOf(keyPrefix: string, key: string): string {
  return key.startsWith(INTERNAL_MARKER) ? keyPrefix + INTERNAL_MARKER + key : keyPrefix + key;
}

/** The caller's key back from a full key (for events): the inverse of `fullKeyOf`. */
export function keyOfFullKey(keyPrefix: string, fullKey: string): string {
  const key = fullKey.slice(keyPrefix.length);
  return key.startsWith(INTERNAL_MARKER + INTERNAL_MARKER) ? key.slice(1) : key;
}

/**
 * The Redis globs (absolute, prefix escaped) that together match every full key whose caller's
 * key matches `glob`. One glob, unless the glob's first character may match a `~`, whose keys are
 * stored escaped: then a second glob covers them. They may also match internal names (tag keys):
 * removing those costs misses, never stale reads.
 */
export function fullPatternsOf(keyPrefix: string, glob: string): string[] {
  const prefix = escapeGlob(keyPrefix);
  if (glob.startsWith(INTERNAL_MARKER) || glob.startsWith(`\\${INTERNAL_MARKER}`))
    return [prefix + INTERNAL_MARKER + glob];
  if (glob.startsWith('?') || glob.startsWith('['))
    return [prefix + glob, prefix + INTERNAL_MARKER + glob];
  return [prefix + glob];
}

/** The prefix of every tag's version key (see lib/manager/tag-versions.ts). */
export function tagKeyPrefixOf(keyPrefix: string): string {
  return `${keyPrefix}${INTERNAL_MARKER}t:`;
}

/** The pub/sub channel that keeps in-process tiers coherent (see lib/l1/invalidation-bus.ts). */
export function busChannelOf(keyPrefix: string): string {
  return `${keyPrefix}${INTERNAL_MARKER}l1`;
}
