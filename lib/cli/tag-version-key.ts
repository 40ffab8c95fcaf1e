/**
 * Where the library keeps a tag's version token (see lib/manager/tag-versions.ts). Beside the
 * cache's keys today; kept in this one function so that the CLI follows when the layout moves
 * under the key prefix.
 */
export function tagVersionKey(keyPrefix: string, tag: string): string {
  return `cache-aside:tag:${keyPrefix}${tag}`;
}
