import type { Codec } from '../entry/codec';
import type { EntryHeader } from '../entry/entry-format';
import type { Invalidation } from '../entry/invalidation';
import type { CacheOperation } from '../errors/cache-error';
import type { L1Entry } from './local-tier';

/** The header fields a kept value needs: when it was written, until when it is fresh, its tags. */
export type KeptHeader = Pick<EntryHeader, 'writtenAt' | 'freshUntil' | 'tags'>;

/**
 * The in-process tier as the manager sees it: one interface whether `l1` is on
 * (`LocalCoherence`) or off ({@link NO_PROCESS_TIER}), so the manager's paths have no branches
 * for it.
 */
export interface ProcessTier {
  /** Counts invalidations heard: a value is kept only if none arrived since it was read. */
  readonly epoch: number;
  /** Entries and bytes held, for `stats()`; undefined when the tier is off. */
  readonly size: number | undefined;
  readonly bytes: number | undefined;
  /** The live copy of a key written by the same codec, if any. */
  lookup(fullKey: string, codec: Codec): L1Entry | undefined;
  /**
   * Keeps a value read or written here, unless an invalidation arrived since `epochAtRead`; with
   * `eagerRefresh`, only until the refresh point, so that the refresh still happens.
   */
  keep(
    fullKey: string,
    value: unknown,
    codec: Codec,
    header: KeptHeader,
    bytes: number,
    epochAtRead: number,
    eagerRefresh?: number,
  ): void;
  /** Drops what an invalidation (local or from another instance) names. */
  drop(item: Invalidation): void;
  /** A key was rewritten here: other instances drop their copy (never rejects). */
  tellOthers(fullKey: string, operation: CacheOperation, key: string): Promise<void>;
  /** Tells other instances of an invalidation; undefined when there are none to tell. */
  readonly publish: ((item: Invalidation) => Promise<void>) | undefined;
  close(): Promise<void>;
}

/** The tier when `l1` is off: holds nothing, tells nobody. */
export const NO_PROCESS_TIER: ProcessTier = Object.freeze({
  epoch: 0,
  size: undefined,
  bytes: undefined,
  lookup: () => undefined,
  keep: () => undefined,
  drop: () => undefined,
  tellOthers: () => Promise.resolve(),
  publish: undefined,
  close: () => Promise.resolve(),
});
