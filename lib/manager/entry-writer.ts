import type { CacheOperation } from '../errors/cache-error';
import type { CacheRequest } from './cache-request';
import type { TagStamp } from '../entry/entry-format';
import { encodeValue } from './lookup';
import type { Telemetry } from './telemetry';
import { expiryOf, nullTtlOf, ttlFor } from './ttl-policy';

/** When an entry was written, until when it is fresh, and the tags it carries. */
export interface EntryStamp {
  readonly writtenAt: number;
  readonly freshUntil: number;
  readonly tags: TagStamp[] | undefined;
}

/** A value ready to be written: its entry bytes and when it expires. */
export interface PreparedEntry {
  readonly bytes: Buffer;
  /** Redis `PX`: the fresh part plus any grace / stale-while-revalidate window; 0 for none. */
  readonly px: number;
  readonly writtenAt: number;
  readonly freshUntil: number;
  readonly tags: TagStamp[] | undefined;
}

/** The manager-wide settings an `EntryWriter` needs to encode and expire an entry. */
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

  /**
   * The entry for a loaded value, or `undefined` when it is not to be stored. `operation` names
   * the work in reports when it is not the request's own (a background refresh).
   */
  prepare<T>(
    value: T,
    request: CacheRequest<T>,
    tags: TagStamp[] | undefined,
    operation: CacheOperation = request.operation,
  ): PreparedEntry | undefined {
    const { opts } = request;
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
        request.key,
        error,
        request.label,
      );
      return undefined;
    }
    if (!(ttl > 0)) return undefined;
    const now = Date.now();
    const window = Math.max(opts.grace ?? 0, opts.staleWhileRevalidate ?? 0);
    const expiry = expiryOf(ttl, window, this.settings.jitter, this.settings.random, now);
    const stamp: EntryStamp = { writtenAt: now, freshUntil: expiry.freshUntil, tags };
    const bytes = this.encode(value, request, stamp, operation);
    return bytes === undefined ? undefined : { bytes, px: expiry.px, ...stamp };
  }

  /** The envelope around a value, or `undefined` (reported) when it cannot or must not be stored. */
  encode(
    value: unknown,
    request: Pick<CacheRequest, 'key' | 'codec' | 'label' | 'operation'>,
    stamp: EntryStamp,
    operation: CacheOperation = request.operation,
  ): Buffer | undefined {
    const { key, label } = request;
    let entry: Buffer;
    try {
      entry = encodeValue(value, request.codec, stamp.writtenAt, stamp.freshUntil, stamp.tags);
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
