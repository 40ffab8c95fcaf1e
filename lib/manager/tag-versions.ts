import { randomBytes } from 'node:crypto';
import type { RedisGateway } from '../redis/redis-gateway';
import { TAG_TOKEN_LENGTH, type TagStamp } from '../entry/entry-format';

/**
 * Tags without scanning: each tag has a version token in Redis. An entry records the tokens its
 * tags had when its load began; invalidating a tag replaces its token, so every entry stamped
 * with the old one stops being served — wherever it lives, in any Cluster slot.
 *
 * Cost: one `GET` per tag on a hit of a tagged entry, one `SET` per tag to invalidate, and on a
 * miss one script per tag to read (or create) the current token.
 */
export class TagVersions {
  private readonly keyPrefix: string;

  constructor(
    private readonly gateway: RedisGateway,
    cacheKeyPrefix: string,
  ) {
    // Beside the cache's own keys rather than under them, so that a pattern invalidation of the
    // cache's keys does not reset tags (a reset would only cost misses, never stale reads).
    this.keyPrefix = `cache-aside:tag:${cacheKeyPrefix}`;
  }

  /** The current token of each tag, taken before a load begins. */
  stampsFor(tags: readonly string[]): Promise<TagStamp[]> {
    return Promise.all(
      tags.map(async (tag) => ({
        tag,
        token: await this.gateway.ensureTagToken(
          this.keyPrefix + tag,
          newTagToken(),
          TAG_KEY_TTL_MS,
        ),
      })),
    );
  }

  /** True when no tag of the entry was invalidated since it was loaded. */
  async stillValid(stamps: readonly TagStamp[]): Promise<boolean> {
    const tokens = await this.gateway.getStrings(stamps.map(({ tag }) => this.keyPrefix + tag));
    return stamps.every((stamp, i) => tokens[i] === stamp.token);
  }

  /** Gives each tag a new token: entries stamped with the old one are no longer served. */
  async invalidate(tags: readonly string[]): Promise<void> {
    await Promise.all(
      tags.map((tag) =>
        this.gateway.setString(this.keyPrefix + tag, newTagToken(), TAG_KEY_TTL_MS),
      ),
    );
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
