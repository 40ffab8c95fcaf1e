import { randomBytes } from 'node:crypto';
import type { RedisGateway } from '../redis/redis-gateway';
import { TAG_TOKEN_LENGTH, type TagStamp } from '../entry/entry-format';
import { tagKeyOf } from '../entry/key-layout';

/**
 * Tags without scanning: each tag has a version token in Redis. An entry records the tokens its
 * tags had when its load began; invalidating a tag replaces its token, so every entry stamped
 * with the old one stops being served — wherever it lives, in any Cluster slot.
 *
 * Cost: one `GET` per tag on a hit of a tagged entry, one `UNLINK` per tag to invalidate, and on
 * a miss one script per tag to read (or create) the current token.
 */
export class TagVersions {
  constructor(
    private readonly gateway: RedisGateway,
    private readonly cacheKeyPrefix: string,
  ) {}

  /**
   * Under the cache's prefix, so that one ACL pattern confines everything (see key-layout.ts). A
   * pattern invalidation may remove tag keys too: that only costs misses, never stale reads.
   */
  private keyOf(tag: string): string {
    return tagKeyOf(this.cacheKeyPrefix, tag);
  }

  /** The current token of each tag, taken before a load begins. */
  stampsFor(tags: readonly string[]): Promise<TagStamp[]> {
    return Promise.all(
      tags.map(async (tag) => ({
        tag,
        token: await this.gateway.ensureTagToken(this.keyOf(tag), newTagToken(), TAG_KEY_TTL_MS),
      })),
    );
  }

  /** True when no tag of the entry was invalidated since it was loaded. */
  async stillValid(stamps: readonly TagStamp[]): Promise<boolean> {
    const tokens = await this.gateway.getStrings(stamps.map(({ tag }) => this.keyOf(tag)));
    return stamps.every((stamp, i) => tokens[i] === stamp.token);
  }

  /**
   * Removes each tag's token: entries stamped with it are no longer served (an absent token
   * matches no stamp; the next load creates a new one). UNLINK rather than a SET of a new token,
   * because Redis still accepts it when it refuses writes for memory (maxmemory + noeviction).
   */
  async invalidate(tags: readonly string[]): Promise<void> {
    await this.gateway.unlink(tags.map((tag) => this.keyOf(tag)));
  }
}

/**
 * How long a tag key lives after its last use. Its expiry is always safe: entries stamped with
 * the token that went away become misses, never stale hits.
 */
export const TAG_KEY_TTL_MS = 7 * 24 * 60 * 60 * 1000;

function newTagToken(): string {
  return randomBytes(TAG_TOKEN_LENGTH).toString('base64url').slice(0, TAG_TOKEN_LENGTH);
}
