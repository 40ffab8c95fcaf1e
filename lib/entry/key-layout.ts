import { escapeGlob } from './glob';
import { decodeLoneSurrogates, encodeLoneSurrogates, hasLoneSurrogate } from './lone-surrogates';

/**
 * The layout of everything a manager stores or publishes, all under its `keyPrefix`, so that one
 * ACL pattern (`~<prefix>* &<prefix>*`) confines it:
 *
 * - an entry (and its load lease):  `<prefix><key>`   (a key that begins with `~` gets one more)
 * - a tag's version token:          `<prefix>~t:<tag>`   (`<prefix>~tu:<tag encoded>` for a tag
 *                                    holding a lone surrogate, as keys are, below)
 * - the L1 invalidation channel:    `<prefix>~l1`
 *
 * Internal names begin with `~` and a character other than `~`; an entry key that begins with `~`
 * is stored as `~~…`. So no key a caller passes can meet an internal name, and two managers whose
 * prefixes nest (`app:` and `app:x:`) never share a tag key (`app:~t:x:t` vs `app:x:~t:t`).
 *
 * A key holding a lone UTF-16 surrogate (not valid text: the client would send it as the UTF-8 of
 * U+FFFD, so `'x\uD800'`, `'x\uDFFF'` and `'x\uFFFD'` would meet) is stored at `<prefix>~u` and
 * the key with `%` written `%25` and each lone surrogate `%uD800` (as template values are). Every
 * well-formed key keeps the key it always had. Tags likewise: such a tag's version key is
 * `<prefix>~tu:` and the encoded tag (`~tu` is no `~t:` key, nor a `~u` one), every well-formed
 * tag keeps `<prefix>~t:<tag>`.
 */
export const INTERNAL_MARKER = '~';

/** The head, after the prefix, of keys holding lone surrogates. */
const ILL_FORMED_HEAD = `${INTERNAL_MARKER}u`;

/** Where the entry for `key` lives. */
export function fullKeyOf(keyPrefix: string, key: string): string {
  if (hasLoneSurrogate(key)) return keyPrefix + ILL_FORMED_HEAD + encodeLoneSurrogates(key);
  return key.startsWith(INTERNAL_MARKER) ? keyPrefix + INTERNAL_MARKER + key : keyPrefix + key;
}

/** The caller's key back from a full key (for events): the inverse of `fullKeyOf`. */
export function keyOfFullKey(keyPrefix: string, fullKey: string): string {
  const key = fullKey.slice(keyPrefix.length);
  if (key.startsWith(ILL_FORMED_HEAD))
    return decodeLoneSurrogates(key.slice(ILL_FORMED_HEAD.length));
  return key.startsWith(INTERNAL_MARKER + INTERNAL_MARKER) ? key.slice(1) : key;
}

/**
 * The Redis globs (absolute, prefix escaped) that together match every full key whose caller's
 * key matches `glob`. One glob, unless the glob's first character may match a `~`, whose keys are
 * stored escaped: then a second glob covers them. Unless the glob is `*` (which covers the whole
 * prefix), one more covers the keys holding lone surrogates, stored under `~u` (a wildcard there
 * stands for `?` and `[…]`, as one character of the key may be several of its encoding). They may
 * also match internal names (tag keys) and keys that the glob does not: removing those costs
 * misses, never stale reads.
 */
export function fullPatternsOf(keyPrefix: string, glob: string): string[] {
  const prefix = escapeGlob(keyPrefix);
  const illFormed = /^\*+$/.test(glob) ? [] : [prefix + ILL_FORMED_HEAD + illFormedGlob(glob)];
  if (glob.startsWith(INTERNAL_MARKER) || glob.startsWith(`\\${INTERNAL_MARKER}`))
    return [prefix + INTERNAL_MARKER + glob, ...illFormed];
  if (glob.startsWith('?') || glob.startsWith('['))
    return [prefix + glob, prefix + INTERNAL_MARKER + glob, ...illFormed];
  return [prefix + glob, ...illFormed];
}

/**
 * A glob over encoded ill-formed keys that matches the encoding of every key `glob` matches:
 * literals encoded as keys are; `?`, `[…]` and a lone surrogate widened to `*`.
 */
function illFormedGlob(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' || c === '?') out += '*';
    else if (c === '[') {
      // To the class's closing bracket, read as glob.ts reads it (none: a literal `[`).
      let end = glob[i + 1] === '^' ? i + 2 : i + 1;
      for (; end < glob.length && glob[end] !== ']'; end++) if (glob[end] === '\\') end++;
      if (end >= glob.length) out += '\\[';
      else {
        out += '*';
        i = end;
      }
    } else {
      const escaped = c === '\\' && i + 1 < glob.length;
      if (escaped) i++;
      const unit = glob.charCodeAt(i);
      if (unit >= 0xd800 && unit <= 0xdbff && isLow(glob.charCodeAt(i + 1))) {
        out += glob[i] + glob[i + 1];
        i++;
      } else if (unit >= 0xd800 && unit <= 0xdfff) {
        out += '*'; // may match a lone surrogate (`%uD800`) or half of a pair (kept as it is)
      } else if (glob[i] === '%') out += '%25';
      else out += escaped ? `\\${glob[i]}` : glob[i];
    }
  }
  return out;
}

function isLow(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** Where the version token of `tag` lives (see lib/manager/tag-versions.ts). */
export function tagKeyOf(keyPrefix: string, tag: string): string {
  return hasLoneSurrogate(tag)
    ? `${keyPrefix}${INTERNAL_MARKER}tu:${encodeLoneSurrogates(tag)}`
    : `${keyPrefix}${INTERNAL_MARKER}t:${tag}`;
}

/** The pub/sub channel that keeps in-process tiers coherent (see lib/l1/invalidation-bus.ts). */
export function busChannelOf(keyPrefix: string): string {
  return `${keyPrefix}${INTERNAL_MARKER}l1`;
}
