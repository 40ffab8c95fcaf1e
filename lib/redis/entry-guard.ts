/**
 * What the compare-and-set scripts need to know about a stored entry, as the entry layer
 * describes it (`lib/entry/entry-format.ts` makes these; the Redis layer only carries them to the
 * scripts, so it never learns the entry's byte layout).
 */

/** The entry's id and where it sits: a script acts only if the bytes there still equal `id`. */
export interface EntryGuard {
  readonly offset: number;
  /** ASCII, compared as a plain string by the scripts. */
  readonly id: string;
}

/** Bytes to write at `offset` in place, guarded by the entry's id. */
export interface EntryPatch {
  readonly guard: EntryGuard;
  readonly offset: number;
  readonly bytes: Buffer;
}
