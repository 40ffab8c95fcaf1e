/** What the CLI reads of the stored-entry format (lib/entry), in one place. */
export {
  ENTRY_FORMAT_VERSION,
  ENTRY_HEAD_LENGTH,
  ENTRY_MAGIC,
  EntryKind,
  LEASE_MARKER_PREFIX,
  decodeEntry,
  isEntryHead,
  isLeaseMarker,
  readStoredHead,
  type EntryHeader,
  type TagStamp,
} from '../entry/entry-format';
export { escapeGlob } from '../entry/glob';
export { EntryFormatError } from '../errors/entry-format.error';
