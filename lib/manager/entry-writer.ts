import type { CacheOperation } from '../errors/cache-error';
import type { GetOptions } from './cache-aside.options';
import type { Codec } from '../entry/codec';
import type { TagStamp } from '../entry/entry-format';
import { encodeValue } from './lookup';
import type { Telemetry } from './telemetry';
import { expiryOf, nullTtlOf, ttlFor } from './ttl-policy';

/** A value ready to be written: its entry bytes and when it expires. */
export interface PreparedEntry {
  readonly bytes: Buffer;
  /** Redis `PX`: the fresh part plus any grace / stale-while-revalidate window; 0 for none. */
  readonly px: number;
  readonly writtenAt: number;
  readonly freshUntil: number;
  readonly tags: TagStamp[] | undefined;
}

export interface EntryWriterSettings {
  readonly defaultTtl: number;
  /** The manager's `nullTtl`: seconds, `false` (never store), or undefined (as any value). */
  readonly nullTtl: number | false | undefined;
  readonly jitter: number;
  readonly random: () => number;
  readonly maxValueBytes: number;
}

/**
 * Decides whether and how a value is stored: its TTL (static or computed, jitter, grace), its
 * encoding, and the size limit. What cannot or must not be stored is reported, never thrown:
 * the caller still gets the value.
 */
export class EntryWriter {
  constructor(
    private readonly telemetry: Telemetry,
    private readonly settings: EntryWriterSettings,
  ) {}

  /** The entry for a loaded value, or `undefined` when it is not to be stored. */
  prepare<T>(
    value: T,
    codec: Codec,
    opts: GetOptions<T>,
    tags: TagStamp[] | undefined,
    key: string,
    operation: CacheOperation,
  ): PreparedEntry | undefined {
    const nullTtl = nullTtlOf(value, opts.nullTtl, this.settings.nullTtl);
    if (nullTtl === false) return undefined;
    let ttl: number;
    try {
      ttl = nullTtl ?? ttlFor(opts.ttl, this.settings.defaultTtl, value);
    } catch (error) {
      this.telemetry.report(
        'CALLBACK_FAILED',
        'the ttl function threw; the value was returned but not stored',
        operation,
        key,
        error,
        opts.label,
      );
      return undefined;
    }
    if (!(ttl > 0)) return undefined;
    const now = Date.now();
    const window = Math.max(opts.grace ?? 0, opts.staleWhileRevalidate ?? 0);
    const expiry = expiryOf(ttl, window, this.settings.jitter, this.settings.random, now);
    const bytes = this.encode(
      value,
      codec,
      now,
      expiry.freshUntil,
      tags,
      key,
      operation,
      opts.label,
    );
    return bytes === undefined
      ? undefined
      : { bytes, px: expiry.px, writtenAt: now, freshUntil: expiry.freshUntil, tags };
  }

  /** The envelope around a value, or `undefined` (reported) when it cannot or must not be stored. */
  encode(
    value: unknown,
    codec: Codec,
    writtenAt: number,
    freshUntil: number,
    tags: TagStamp[] | undefined,
    key: string,
    operation: CacheOperation,
    label?: string,
  ): Buffer | undefined {
    let entry: Buffer;
    try {
      entry = encodeValue(value, codec, writtenAt, freshUntil, tags);
    } catch (error) {
      // A serializer's own size bound (RangeError) is the same situation as maxValueBytes.
      const tooLarge = error instanceof RangeError;
      this.telemetry.report(
        tooLarge ? 'VALUE_TOO_LARGE' : 'ENCODE_FAILED',
        tooLarge
          ? 'the value is over a configured limit (see cause); it was returned but not stored'
          : 'the value could not be encoded; it was returned but not stored',
        operation,
        key,
        error,
        label,
      );
      return undefined;
    }
    const max = this.settings.maxValueBytes;
    if (entry.length > max) {
      this.telemetry.report(
        'VALUE_TOO_LARGE',
        `the encoded value is ${entry.length} bytes, over maxValueBytes (${max}); it was returned but not stored`,
        operation,
        key,
        undefined,
        label,
      );
      return undefined;
    }
    return entry;
  }
}
