/** Why bytes at a key could not be read as an entry. */
export type EntryDecodeFailure =
  'not-an-entry' | 'unsupported-version' | 'truncated' | 'codec-mismatch';

/** Bytes at a key that are not an entry this version can read; the manager turns it into a miss. */
export class EntryFormatError extends Error {
  override readonly name = 'EntryFormatError';
  constructor(
    readonly reason: EntryDecodeFailure,
    message: string,
  ) {
    super(message);
  }
}
