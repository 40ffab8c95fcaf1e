import type { Codec } from '../entry/codec';
import {
  decodeEntry,
  encodeEntry,
  EntryKind,
  isLeaseMarker,
  type EntryHeader,
  type TagStamp,
} from '../entry/entry-format';

/** What a read of one key found. */
export type Lookup =
  | {
      readonly state: 'fresh';
      readonly value: unknown;
      readonly header: EntryHeader;
      readonly raw: Buffer;
    }
  | {
      readonly state: 'stale';
      readonly value: unknown;
      readonly header: EntryHeader;
      readonly raw: Buffer;
    }
  | { readonly state: 'unusable'; readonly raw: Buffer }
  | { readonly state: 'local'; readonly value: unknown }
  | { readonly state: 'leased'; readonly marker?: string }
  | { readonly state: 'absent' };

/** A lookup that found a readable entry, fresh or stale. */
export type FoundEntry = Extract<Lookup, { state: 'fresh' | 'stale' }>;

/** Nothing stored under the key (shared: a miss allocates no lookup). */
export const ABSENT: Lookup = { state: 'absent' };
/** A load lease marker is stored: another caller is loading the key. */
export const LEASED: Lookup = { state: 'leased' };

/**
 * Reads the bytes a GET returned: a lease marker, or an entry that is fresh or stale by its
 * logical expiry. Throws (EntryFormatError, or the serializer's own error) for bytes that are not
 * a readable entry of this codec; the manager turns that into a reported miss.
 */
export function decodeLookup(raw: Buffer, codec: Codec, now: number): Lookup {
  if (isLeaseMarker(raw)) return { state: 'leased', marker: raw.toString('latin1') };
  const header = decodeEntry(raw, codec.id);
  const value =
    header.kind === EntryKind.Value
      ? codec.serializer.deserialize(header.payload)
      : header.kind === EntryKind.Null
        ? null
        : undefined;
  return { state: header.freshUntil > now ? 'fresh' : 'stale', value, header, raw };
}

/** The envelope around a value; `null` and `undefined` never reach the serializer. */
export function encodeValue(
  value: unknown,
  codec: Codec,
  writtenAt: number,
  freshUntil: number,
  tags: readonly TagStamp[] | undefined,
): Buffer {
  if (value === null || value === undefined) {
    return encodeEntry({
      kind: value === null ? EntryKind.Null : EntryKind.Undefined,
      codecId: codec.id,
      writtenAt,
      freshUntil,
      tags,
    });
  }
  return encodeEntry({
    kind: EntryKind.Value,
    codecId: codec.id,
    writtenAt,
    freshUntil,
    tags,
    payload: codec.serializer.serialize(value),
  });
}
