import type { CacheOperation } from '../errors/cache-error';
import type { Codec } from '../entry/codec';
import type { TagStamp } from '../entry/entry-format';
import { EntryFormatError } from '../errors/entry-format.error';
import type { Invalidator } from './invalidator';
import { decodeLookup, type Lookup } from './lookup';
import type { TagVersions } from './tag-versions';
import type { Telemetry } from './telemetry';

/**
 * Turns what a GET returned into a lookup: an entry (fresh or stale), a lease, or an unusable
 * value — corrupt, foreign, another codec, or carrying a tag invalidated since it was loaded —
 * which is reported and treated as a miss. Also reads tag versions before a load.
 */
export class EntryReader {
  constructor(
    private readonly telemetry: Telemetry,
    private readonly tags: TagVersions,
    private readonly invalidator: Invalidator,
  ) {}

  /** Synchronous unless the entry carries tags (their versions are one more read). */
  read(
    raw: Buffer,
    codec: Codec,
    key: string,
    operation: CacheOperation,
    label?: string,
  ): Lookup | Promise<Lookup> {
    let lookup: Lookup;
    try {
      lookup = decodeLookup(raw, codec, Date.now());
    } catch (error) {
      const reason =
        error instanceof EntryFormatError
          ? error.message
          : 'the serializer could not decode the stored bytes';
      this.telemetry.report(
        'DECODE_FAILED',
        `${reason}; treated as a miss and replaced`,
        operation,
        key,
        error,
        label,
      );
      return { state: 'unusable', raw };
    }
    const stamps =
      lookup.state === 'fresh' || lookup.state === 'stale' ? lookup.header.tags : undefined;
    if (stamps === undefined) return lookup;
    return this.stillValid(stamps, key, operation, label).then((valid): Lookup =>
      valid ? lookup : { state: 'unusable', raw },
    );
  }

  /** The current version token of each tag, taken before a load; undefined (reported) if Redis cannot say. */
  async stamps(
    tags: readonly string[],
    operation: CacheOperation,
    key?: string,
  ): Promise<TagStamp[] | undefined> {
    try {
      return await this.tags.stampsFor(tags);
    } catch (error) {
      this.telemetry.redisFailed(error, operation, key);
      return undefined;
    }
  }

  /** False when a tag of the entry was invalidated since it was loaded (or Redis cannot say). */
  async stillValid(
    stamps: readonly TagStamp[],
    key: string,
    operation: CacheOperation,
    label?: string,
  ): Promise<boolean> {
    if (this.invalidator.coversTags(stamps)) return false;
    try {
      return await this.tags.stillValid(stamps);
    } catch (error) {
      this.telemetry.redisFailed(error, operation, key, label);
      return false;
    }
  }
}
