import { tagKeyOf } from '../entry/key-layout';

/** Where the library keeps a tag's version token (see lib/manager/tag-versions.ts). */
export function tagVersionKey(keyPrefix: string, tag: string): string {
  return tagKeyOf(keyPrefix, tag);
}
