import { CacheRangeError } from '../errors/cache-range-error';
import { randomBytes } from 'node:crypto';
import { EntryFormatError } from '../errors/entry-format.error';
import { decodeLoneSurrogates, encodeLoneSurrogates, hasLoneSurrogate } from './lone-surrogates';

/**
 * The stored entry: a small versioned binary envelope around the serializer's bytes.
 *
 * Why an envelope at all: so that `0`, `''`, `false`, `null` and `undefined` are values distinct
 * from "no entry"; so that bytes written by another application, another codec or an older
 * format are recognised as such (a miss plus an `'error'` event) instead of being decoded into
 * garbage; and so that the metadata later features need (logical expiry for grace, tag versions,
 * an identity for compare-and-set refreshes) travels with the value in one key — one GET on a hit.
 *
 * Layout, format version 1 (all integers unsigned, floats little-endian IEEE 754):
 *
 * | offset | size | field                                                              |
 * |--------|------|--------------------------------------------------------------------|
 * | 0      | 1    | magic `0xCA`                                                       |
 * | 1      | 1    | format version (`1`); any other version is a miss                  |
 * | 2      | 1    | kind: 0 a serialized value, 1 `undefined`, 2 `null` (no payload)    |
 * | 3      | 1    | flags: bit 0 = a tag section follows the codec id                  |
 * |        |      |        bit 1 = its tag names are written with lone surrogates      |
 * |        |      |        encoded (`%uD800`, `%` as `%25`: lone-surrogates.ts); set   |
 * |        |      |        only when one of them holds a lone surrogate                |
 * | 4      | 8    | entry id: random ASCII, identifies this write (compare-and-set)    |
 * | 12     | 8    | written at, ms since the epoch (f64)                               |
 * | 20     | 8    | fresh until, ms since the epoch (f64; `Infinity`: never stale)     |
 * | 28     | 1    | codec id length n                                                  |
 * | 29     | n    | codec id, ASCII (`Serializer.id`)                                  |
 * |        |      | if flag bit 0: u8 tag count, then per tag u8 length, UTF-8 name,   |
 * |        |      | and the tag's version token ({@link TAG_TOKEN_LENGTH} ASCII bytes) |
 * |        |      | payload: the serializer's bytes (kind 0 only), to the end          |
 *
 * Physical expiry (Redis `PX`) is `fresh until` plus any grace window; between the two the
 * entry is stale: served only as a fallback when the loader fails.
 *
 * A key may also hold a load lease while one process loads it (see `load-lease.ts`): a short
 * ASCII string starting with {@link LEASE_MARKER_PREFIX}. It is not an entry; readers treat it
 * as "being loaded elsewhere".
 */

export const ENTRY_MAGIC = 0xca;
export const ENTRY_FORMAT_VERSION = 1;

export const enum EntryKind {
  Value = 0,
  Undefined = 1,
  Null = 2,
}

/** A kind byte this version knows (the kinds are 0 to `EntryKind.Null`, in order). */
function isEntryKind(byte: number): byte is EntryKind {
  return ENTRY_KINDS.has(byte);
}
const ENTRY_KINDS: ReadonlySet<number> = new Set([
  EntryKind.Value,
  EntryKind.Undefined,
  EntryKind.Null,
]);

const FLAG_TAGS = 0b0000_0001;
/**
 * UTF-8 would write a lone surrogate as U+FFFD: the tag would come back as another tag, whose
 * version key is another key (key-layout.ts). A reader that ignores the bit reads other tags:
 * a miss, never a stale hit.
 */
const FLAG_TAG_NAMES_ENCODED = 0b0000_0010;
const OFFSET_KIND = 2;
const OFFSET_FLAGS = 3;
const OFFSET_ID = 4;
const ID_LENGTH = 8;
const OFFSET_WRITTEN_AT = 12;
const OFFSET_FRESH_UNTIL = 20;
const OFFSET_CODEC_LENGTH = 28;
const OFFSET_CODEC = 29;

/** Bytes from the start of an entry up to and including `fresh until`: what {@link readEntryHead} needs. */
export const ENTRY_HEAD_LENGTH = OFFSET_FRESH_UNTIL + 8;

/** True when bytes start like an entry of this format (for reads of the head only). */
export function isEntryHead(head: Buffer): boolean {
  return (
    head.length >= ENTRY_HEAD_LENGTH && head[0] === ENTRY_MAGIC && head[1] === ENTRY_FORMAT_VERSION
  );
}

/**
 * Where an entry's identity sits and what it is: what compare-and-set scripts check before they
 * rewrite or take over a key (the id is ASCII, so scripts compare it as a plain string).
 */
export interface EntryIdentity {
  readonly offset: number;
  readonly id: string;
}

/**
 * An in-place rewrite of an entry's logical expiry, guarded by its identity: the bytes to write
 * at `offset` if the entry at the key still has `guard`'s id. Opaque to its users: made here,
 * carried to Redis as is.
 */
export interface EntryExpiryPatch {
  readonly guard: EntryIdentity;
  readonly offset: number;
  readonly bytes: Buffer;
}

/** The fields of an entry's head (its first {@link ENTRY_HEAD_LENGTH} bytes). */
export interface EntryHead {
  readonly writtenAt: number;
  readonly freshUntil: number;
}

/** The head of an entry, or undefined when the bytes do not start like an entry of this format. */
export function readEntryHead(head: Buffer): EntryHead | undefined {
  if (!isEntryHead(head)) return undefined;
  return {
    writtenAt: head.readDoubleLE(OFFSET_WRITTEN_AT),
    freshUntil: head.readDoubleLE(OFFSET_FRESH_UNTIL),
  };
}

/**
 * The head of a stored value read from its first bytes only (a scan reads no more), when those
 * bytes start a complete-looking entry of this format: a known kind, and a codec id that fits
 * within the value's full `size`. For tools that classify many keys without decoding them.
 */
export function readStoredHead(firstBytes: Buffer, size: number): EntryHead | undefined {
  const head = readEntryHead(firstBytes);
  if (head === undefined || !isEntryKind(firstBytes[OFFSET_KIND])) return undefined;
  if (size <= OFFSET_CODEC || OFFSET_CODEC + firstBytes[OFFSET_CODEC_LENGTH] > size)
    return undefined;
  return head;
}

/** True when an entry's head says a tag section follows the codec id. */
export function hasTagSection(head: Buffer): boolean {
  return isEntryHead(head) && (head[OFFSET_FLAGS] & FLAG_TAGS) !== 0;
}

/**
 * The tag stamps of a whole entry, whatever codec wrote it (for operations that have no
 * serializer, like `getTtl`); undefined when it carries none. Throws {@link EntryFormatError}
 * for bytes that are not an entry or end inside the tag section.
 */
export function tagStampsOf(data: Buffer): TagStamp[] | undefined {
  if (!hasTagSection(data)) return undefined;
  const start = OFFSET_CODEC + data[OFFSET_CODEC_LENGTH];
  if (start > data.length) throw truncated();
  return decodeTags(data, start).tags;
}

/** The identity of the entry in these bytes (a whole entry or its head). */
export function identityOf(data: Buffer): EntryIdentity {
  return { offset: OFFSET_ID, id: data.toString('latin1', OFFSET_ID, OFFSET_ID + ID_LENGTH) };
}

/** A patch that sets the `fresh until` of the entry whose head this is, if it is still there. */
export function expiryPatch(head: Buffer, freshUntil: number): EntryExpiryPatch {
  const bytes = Buffer.allocUnsafe(8);
  bytes.writeDoubleLE(freshUntil);
  return { guard: identityOf(head), offset: OFFSET_FRESH_UNTIL, bytes };
}

/**
 * A copy of an entry whose `written at` and `fresh until` are both `at`: fresh until then and
 * with no eager refresh point before it (used to put an old value back for a short rest).
 */
export function restampedCopy(data: Buffer, at: number): Buffer {
  const copy = Buffer.from(data);
  copy.writeDoubleLE(at, OFFSET_FRESH_UNTIL);
  copy.writeDoubleLE(at, OFFSET_WRITTEN_AT);
  return copy;
}

/** Length of a tag's version token as stored in Redis and in entries. */
export const TAG_TOKEN_LENGTH = 16;

/** The first bytes of a load lease held at a key while its value is being loaded. */
export const LEASE_MARKER_PREFIX = 'CA~lease~';

/** A tag and the version token it had when the entry's load began. */
export interface TagStamp {
  readonly tag: string;
  readonly token: string;
}

/** The envelope's fields, with the payload left as bytes (decoded by the caller's serializer). */
export interface EntryHeader {
  readonly kind: EntryKind;
  readonly writtenAt: number;
  readonly freshUntil: number;
  readonly tags: readonly TagStamp[] | undefined;
  /** The serializer's bytes (a view, not a copy); empty for `null` / `undefined`. */
  readonly payload: Buffer;
}

/** What to write: the value already serialized (or `undefined` for the null/undefined kinds). */
export interface EntryDraft {
  readonly kind: EntryKind;
  readonly codecId: Buffer;
  readonly writtenAt: number;
  readonly freshUntil: number;
  readonly tags?: readonly TagStamp[];
  readonly payload?: Buffer | string;
}

/** Encodes a codec id once, at construction, so a hit compares bytes instead of building strings. */
export function encodeCodecId(codecId: string): Buffer {
  return Buffer.from(codecId, 'ascii');
}

export function encodeEntry(draft: EntryDraft): Buffer {
  const codecLength = draft.codecId.length;
  const tagged = draft.tags !== undefined && draft.tags.length > 0 ? draft.tags : undefined;
  const encodedNames = tagged !== undefined && tagged.some(({ tag }) => hasLoneSurrogate(tag));
  const tagBytes = tagged && encodeTags(tagged, encodedNames);
  const payload = draft.payload;
  const payloadLength =
    payload === undefined
      ? 0
      : typeof payload === 'string'
        ? Buffer.byteLength(payload)
        : payload.length;
  const headerLength = OFFSET_CODEC + codecLength + (tagBytes ? tagBytes.length : 0);
  const out = Buffer.allocUnsafe(headerLength + payloadLength);

  out[0] = ENTRY_MAGIC;
  out[1] = ENTRY_FORMAT_VERSION;
  out[OFFSET_KIND] = draft.kind;
  out[OFFSET_FLAGS] = (tagBytes ? FLAG_TAGS : 0) | (encodedNames ? FLAG_TAG_NAMES_ENCODED : 0);
  writeEntryId(out, OFFSET_ID);
  out.writeDoubleLE(draft.writtenAt, OFFSET_WRITTEN_AT);
  out.writeDoubleLE(draft.freshUntil, OFFSET_FRESH_UNTIL);
  out[OFFSET_CODEC_LENGTH] = codecLength;
  draft.codecId.copy(out, OFFSET_CODEC);
  let offset = OFFSET_CODEC + codecLength;
  if (tagBytes) {
    tagBytes.copy(out, offset);
    offset += tagBytes.length;
  }
  if (typeof payload === 'string') out.write(payload, offset, 'utf8');
  else if (payload !== undefined) payload.copy(out, offset);
  return out;
}

/**
 * Reads the envelope. Throws {@link EntryFormatError} for bytes that are not an entry of this
 * format or were written by another codec; the manager turns that into a miss.
 */
export function decodeEntry(data: Buffer, expectedCodecId: Buffer): EntryHeader {
  if (data.length < OFFSET_CODEC || data[0] !== ENTRY_MAGIC) {
    throw new EntryFormatError('not-an-entry', 'the stored bytes are not a cache-aside entry');
  }
  if (data[1] !== ENTRY_FORMAT_VERSION) {
    throw new EntryFormatError(
      'unsupported-version',
      `the entry has format version ${data[1]}, this version reads ${ENTRY_FORMAT_VERSION}`,
    );
  }
  const kind = data[OFFSET_KIND];
  if (!isEntryKind(kind)) {
    throw new EntryFormatError('not-an-entry', `unknown entry kind ${kind}`);
  }
  const codecLength = data[OFFSET_CODEC_LENGTH];
  let offset = OFFSET_CODEC + codecLength;
  if (offset > data.length) throw truncated();
  if (codecLength !== expectedCodecId.length || !sameBytes(expectedCodecId, data, OFFSET_CODEC)) {
    throw new EntryFormatError(
      'codec-mismatch',
      `the entry was written by ${describeStoredCodecId(data.subarray(OFFSET_CODEC, offset))}, ` +
        `this read expects "${expectedCodecId.toString('ascii')}"`,
    );
  }
  let tags: TagStamp[] | undefined;
  if ((data[OFFSET_FLAGS] & FLAG_TAGS) !== 0) {
    const read = decodeTags(data, offset);
    tags = read.tags;
    offset = read.end;
  }
  if (kind !== EntryKind.Value && offset !== data.length) throw truncated();
  return {
    kind,
    writtenAt: data.readDoubleLE(OFFSET_WRITTEN_AT),
    freshUntil: data.readDoubleLE(OFFSET_FRESH_UNTIL),
    tags,
    payload: data.subarray(offset),
  };
}

/** Compares a short id byte by byte: cheaper than a native compare call for a few bytes. */
function sameBytes(expected: Buffer, data: Buffer, offset: number): boolean {
  for (let i = 0; i < expected.length; i++) if (data[offset + i] !== expected[i]) return false;
  return true;
}

/** The id of the entry in these bytes (read only when needed: a hit does not pay for the view). */
export function entryIdOf(data: Buffer): Buffer {
  return data.subarray(OFFSET_ID, OFFSET_ID + ID_LENGTH);
}

/** True when the bytes at a key are a load lease rather than an entry. */
export function isLeaseMarker(data: Buffer): boolean {
  return (
    data[0] === 0x43 /* 'C' */ &&
    data.length > LEASE_MARKER_PREFIX.length &&
    data.toString('latin1', 0, LEASE_MARKER_PREFIX.length) === LEASE_MARKER_PREFIX
  );
}

function encodeTags(tags: readonly TagStamp[], encodedNames: boolean): Buffer {
  if (tags.length > 255) {
    throw new CacheRangeError(
      'ERR_CACHE_ASIDE_OUT_OF_RANGE',
      '[cache-aside] an entry can carry at most 255 tags.',
    );
  }
  const parts: Buffer[] = [Buffer.of(tags.length)];
  for (const { tag, token } of tags) {
    const name = Buffer.from(encodedNames ? encodeLoneSurrogates(tag) : tag, 'utf8');
    if (name.length === 0 || name.length > 255) {
      throw new CacheRangeError(
        'ERR_CACHE_ASIDE_OUT_OF_RANGE',
        `[cache-aside] a tag must be 1 to 255 bytes of UTF-8, got "${tag}".`,
      );
    }
    if (token.length !== TAG_TOKEN_LENGTH) {
      throw new CacheRangeError(
        'ERR_CACHE_ASIDE_OUT_OF_RANGE',
        `[cache-aside] a tag token must be ${TAG_TOKEN_LENGTH} characters.`,
      );
    }
    parts.push(Buffer.of(name.length), name, Buffer.from(token, 'latin1'));
  }
  return Buffer.concat(parts);
}

function decodeTags(data: Buffer, start: number): { tags: TagStamp[]; end: number } {
  if (start >= data.length) throw truncated();
  const encodedNames = (data[OFFSET_FLAGS] & FLAG_TAG_NAMES_ENCODED) !== 0;
  const count = data[start];
  let offset = start + 1;
  const tags: TagStamp[] = [];
  for (let i = 0; i < count; i++) {
    if (offset >= data.length) throw truncated();
    const nameLength = data[offset++];
    const end = offset + nameLength + TAG_TOKEN_LENGTH;
    if (end > data.length) throw truncated();
    const name = data.toString('utf8', offset, offset + nameLength);
    tags.push({
      tag: encodedNames ? decodeLoneSurrogates(name) : name,
      token: data.toString('latin1', offset + nameLength, end),
    });
    offset = end;
  }
  return { tags, end: offset };
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Random bytes for entry ids, drawn a pool at a time: one `randomBytes` call per entry cost a
 * miss ~4 µs of its CPU (a crypto call and a buffer each). Every id still gets fresh random
 * bits; none is ever reused.
 */
const ID_POOL_BYTES = ID_LENGTH * 512;
let idPool = Buffer.alloc(0);
let idPoolOffset = 0;

/** Random ASCII (64 symbols, 48 bits) so scripts can compare ids as plain strings. */
function writeEntryId(out: Buffer, offset: number): void {
  if (idPoolOffset + ID_LENGTH > idPool.length) {
    idPool = randomBytes(ID_POOL_BYTES);
    idPoolOffset = 0;
  }
  for (let i = 0; i < ID_LENGTH; i++)
    out[offset + i] = ID_ALPHABET.charCodeAt(idPool[idPoolOffset + i] & 63);
  idPoolOffset += ID_LENGTH;
}

function truncated(): EntryFormatError {
  return new EntryFormatError('truncated', 'the stored entry is truncated');
}

/**
 * The codec id read from a stored entry, for an error message. Those bytes come from Redis and
 * anyone who can write there: only an id of the shape codec ids have (printable ASCII, at most
 * 64 characters) is quoted; anything else (CR/LF that would forge log lines, raw bytes) is not.
 */
function describeStoredCodecId(id: Buffer): string {
  const text = id.toString('latin1');
  return /^[\x20-\x7e]{1,64}$/.test(text)
    ? `codec ${JSON.stringify(text)}`
    : `an unreadable codec id (${id.length} bytes)`;
}
