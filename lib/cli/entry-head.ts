import {
  ENTRY_HEAD_LENGTH,
  LEASE_MARKER_PREFIX,
  isLeaseMarker,
  readStoredHead,
} from './entry-layout';

/** Bytes to read of a value to classify it: the head, the codec id length and the longest id. */
export const HEAD_READ_LENGTH = ENTRY_HEAD_LENGTH + 1 + 64;

/** What the first bytes of a value say, without reading the payload. */
export type HeadClass =
  | { readonly type: 'lease' }
  | { readonly type: 'entry'; readonly freshUntil: number }
  | { readonly type: 'undecodable' };

/**
 * Classifies a value from its first {@link HEAD_READ_LENGTH} bytes and its full length: a
 * lease, an entry of this format (magic, version, kind, a complete codec id), or undecodable.
 * The payload is not decoded: `inspect` does that for one key.
 */
export function classifyHead(head: Buffer, size: number): HeadClass {
  if (head.length > LEASE_MARKER_PREFIX.length && isLeaseMarker(head)) return { type: 'lease' };
  const entry = readStoredHead(head, size);
  return entry === undefined
    ? { type: 'undecodable' }
    : { type: 'entry', freshUntil: entry.freshUntil };
}
