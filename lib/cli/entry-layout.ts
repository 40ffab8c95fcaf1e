/**
 * What the CLI reads of the stored-entry format, in one place. These modules live in
 * lib/manager today and move to lib/entry (which the CLI may import) in the layer restructuring:
 * only these import lines change then.
 */
// eslint-disable-next-line no-restricted-imports -- the entry format moves to lib/entry (allowed for lib/cli) at merge
export {
  ENTRY_FORMAT_VERSION,
  ENTRY_HEAD_LENGTH,
  ENTRY_MAGIC,
  EntryFormatError,
  EntryKind,
  FRESH_UNTIL_OFFSET,
  LEASE_MARKER_PREFIX,
  WRITTEN_AT_OFFSET,
  decodeEntry,
  isEntryHead,
  isLeaseMarker,
  type EntryHeader,
  type TagStamp,
} from '../manager/entry-format';
// eslint-disable-next-line no-restricted-imports -- glob moves to lib/entry (allowed for lib/cli) at merge
export { escapeGlob } from '../manager/glob';
