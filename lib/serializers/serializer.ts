/**
 * Turns a value into bytes for Redis and back. Serializers never see Redis, keys or TTLs: the
 * manager wraps what they produce in the entry envelope (`lib/entry/entry-format.ts`), which
 * also records which codec wrote the entry, so that a serializer changed in a deploy reads old
 * entries as misses rather than as garbage.
 *
 * The manager never hands a serializer a top-level `null` or `undefined` (the envelope stores
 * those itself). Anything `serialize` throws means "do not store this value" (the caller still
 * gets it, and an `ENCODE_FAILED` error event says why); anything `deserialize` throws means
 * "treat this entry as a miss" (`DECODE_FAILED`, and the entry is replaced). So a decoder must
 * be total: for any bytes, return a value or throw — never hang, never allocate without bound.
 */

import { CacheTypeError } from '../errors/cache-type-error';
/** Turns values into the bytes stored in Redis and back. Implement it for a custom format; see the notes above on totality and errors. */
export interface Serializer {
  /**
   * A short, stable name of the encoding (e.g. `'json'`, `'msgpack'`, `'gzip+json'`), written
   * into every entry. Entries written under another id are misses. Defaults to the class name.
   * Give two serializers the same id only if each can read what the other writes.
   */
  readonly id?: string;
  /** The bytes (or a UTF-8 string) stored for `value`; throw to refuse a value the format cannot hold. */
  serialize(value: unknown): Buffer | string;
  /** The value back from stored bytes; throw on bytes it cannot read (the entry then counts as a miss). */
  deserialize(data: Buffer): unknown;
}

/** The longest codec id the entry envelope stores (one length byte, ASCII). */
export const MAX_CODEC_ID_LENGTH = 64;

/**
 * The largest payload the built-in serializers write or read, in bytes, unless told otherwise.
 * Reading is where it matters: an entry written by something else (another deploy with a higher
 * limit, a tampered key) is refused before any parsing allocates memory for it. Writing is
 * refused above the same bound, so a serializer never stores what it would refuse to read.
 * Eight times the manager's default `maxValueBytes` (1 MiB).
 */
export const DEFAULT_MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;

/**
 * Checked at construction (manager) or decoration time (per method), so a serializer missing a
 * method is a `TypeError` there, not a failure on the first cache miss in production.
 */
export function assertSerializer(
  value: unknown,
  argumentName = 'serializer',
): asserts value is Serializer {
  const candidate = value as Partial<Serializer> | null | undefined;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    typeof candidate.serialize !== 'function' ||
    typeof candidate.deserialize !== 'function'
  ) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      `[cache-aside] ${argumentName} must implement serialize(value): Buffer | string and ` +
        'deserialize(data: Buffer): unknown (see JsonSerializer for an example).',
    );
  }
  codecIdOf(candidate as Serializer);
}

/** The id recorded in entries written by this serializer. */
export function codecIdOf(serializer: Serializer): string {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- an object made with Object.create(null) has no constructor
  const id = serializer.id ?? serializer.constructor?.name ?? 'custom';

  if (
    typeof id !== 'string' ||
    id.length === 0 ||
    id.length > MAX_CODEC_ID_LENGTH ||
    /[^\x20-\x7e]/.test(id)
  ) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      `[cache-aside] serializer id must be 1 to ${MAX_CODEC_ID_LENGTH} printable ASCII ` +
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- a JavaScript caller's id may be a symbol, which a template cannot show
        `characters, got "${String(id)}"; set a readonly id on your serializer.`,
    );
  }
  return id;
}

/** A serializer's output as bytes (strings are UTF-8, as the envelope stores them). */
export function toBytes(encoded: Buffer | string): Buffer {
  return typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : encoded;
}
