import {
  ENTRY_HEAD_LENGTH,
  ENTRY_MAGIC,
  EntryFormatError,
  EntryKind,
  decodeEntry,
  isLeaseMarker,
  type TagStamp,
} from './entry-layout';

/** What one key holds, as the library would read it. */
export type StoredValue =
  | { readonly type: 'lease' }
  | {
      readonly type: 'entry';
      readonly kind: 'value' | 'undefined' | 'null';
      readonly codec: string;
      readonly writtenAt: number;
      readonly freshUntil: number;
      readonly tags: readonly TagStamp[];
      readonly payload: Buffer;
    }
  | {
      /** Bytes the library does not read: not ours, another format version, or truncated. */
      readonly type: 'unreadable';
      readonly reason: string;
    };

/**
 * Reads stored bytes without knowing the serializer in advance: the codec id the envelope
 * records is the one the entry is decoded against. Never throws.
 */
export function readStoredValue(data: Buffer): StoredValue {
  if (isLeaseMarker(data)) return { type: 'lease' };
  const codecId = storedCodecId(data);
  try {
    const header = decodeEntry(data, codecId ?? Buffer.alloc(0));
    return {
      type: 'entry',
      kind: KIND_NAMES[header.kind],
      codec: (codecId ?? Buffer.alloc(0)).toString('latin1'),
      writtenAt: header.writtenAt,
      freshUntil: header.freshUntil,
      tags: header.tags ?? [],
      payload: header.payload,
    };
  } catch (error) {
    return { type: 'unreadable', reason: unreadableReason(data, error) };
  }
}

/** Says why in words that tell "not ours" from "ours but damaged". */
function unreadableReason(data: Buffer, error: unknown): string {
  if (!(error instanceof EntryFormatError)) return 'unreadable bytes';
  if (error.reason === 'not-an-entry' && data[0] !== ENTRY_MAGIC) {
    return 'not a cache-aside entry (written by something else)';
  }
  if (error.reason === 'truncated' || data.length <= ENTRY_HEAD_LENGTH) {
    return 'a cache-aside entry cut short (truncated)';
  }
  return `a damaged cache-aside entry: ${error.message.replace(/^the /, '')}`;
}

/** The codec id field (right after the head), or undefined when the bytes are too short. */
export function storedCodecId(data: Buffer): Buffer | undefined {
  if (data.length <= ENTRY_HEAD_LENGTH) return undefined;
  const length = data[ENTRY_HEAD_LENGTH];
  const start = ENTRY_HEAD_LENGTH + 1;
  if (start + length > data.length) return undefined;
  return data.subarray(start, start + length);
}

const KIND_NAMES = {
  [EntryKind.Value]: 'value',
  [EntryKind.Undefined]: 'undefined',
  [EntryKind.Null]: 'null',
} as const;
