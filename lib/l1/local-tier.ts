import type { Codec } from '../entry/codec';
import type { GlobMatcher } from '../entry/glob';

/** Bounds of the in-process tier. */
export interface L1Options {
  /** Most entries kept; the least recently used go first. */
  maxEntries: number;
  /** Most bytes kept, counted as the size of each entry in Redis (an estimate of memory). */
  maxBytes?: number;
  /** Longest time (seconds) an entry stays in this tier, below its own TTL. @default its TTL */
  ttl?: number;
  /**
   * How often (ms) the instance checks that its invalidation subscription still delivers; the
   * tier is off while a check is missing. @default 1000
   */
  heartbeatMs?: number;
}

/** One value held in process. Values are shared by reference: treat cached values as immutable. */
export interface L1Entry {
  readonly value: unknown;
  readonly codec: Codec;
  readonly expiresAt: number;
  readonly bytes: number;
  readonly tags: readonly string[] | undefined;
}

/**
 * A bounded in-process tier in front of Redis: a hit costs a Map lookup and no I/O. It is kept
 * coherent by the invalidation bus (every instance drops what any instance invalidates) and,
 * while the bus is not connected, it is not used at all.
 *
 * LRU by Map insertion order: a hit moves the entry to the end, eviction takes from the front.
 */
export class LocalTier {
  private readonly entries = new Map<string, L1Entry>();
  private totalBytes = 0;
  private invalidations = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;

  constructor(options: L1Options) {
    this.maxEntries = options.maxEntries;
    this.maxBytes = options.maxBytes ?? Infinity;
    this.maxAgeMs = options.ttl === undefined ? Infinity : options.ttl * 1000;
  }

  /**
   * Counts invalidations seen. A value read from Redis is kept here only if no invalidation
   * arrived while it was being read: otherwise a value read just before another instance's write
   * could outlive the message that announced the write.
   */
  get epoch(): number {
    return this.invalidations;
  }

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** The live entry for a key, if any (an expired one is dropped on the way). */
  get(fullKey: string, now: number): L1Entry | undefined {
    const entry = this.entries.get(fullKey);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.delete(fullKey);
      return undefined;
    }
    this.entries.delete(fullKey);
    this.entries.set(fullKey, entry);
    return entry;
  }

  /** Keeps a value until `until` (or the tier's own ttl, whichever is sooner). */
  set(
    fullKey: string,
    value: unknown,
    codec: Codec,
    until: number,
    bytes: number,
    tags: readonly string[] | undefined,
    now: number,
  ): void {
    const expiresAt = Math.min(until, now + this.maxAgeMs);
    if (expiresAt <= now || bytes > this.maxBytes) {
      this.delete(fullKey);
      return;
    }
    this.delete(fullKey);
    this.entries.set(fullKey, { value, codec, expiresAt, bytes, tags });
    this.totalBytes += bytes;
    while (this.entries.size > this.maxEntries || this.totalBytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value as string;
      this.delete(oldest);
    }
  }

  private delete(fullKey: string): void {
    const entry = this.entries.get(fullKey);
    if (entry === undefined) return;
    this.entries.delete(fullKey);
    this.totalBytes -= entry.bytes;
  }

  /** Drops one key because it was invalidated (bumps the epoch). */
  invalidate(fullKey: string): void {
    this.invalidations++;
    this.delete(fullKey);
  }

  deleteMatching(pattern: GlobMatcher): void {
    this.invalidations++;
    for (const key of [...this.entries.keys()]) if (pattern.test(key)) this.delete(key);
  }

  deleteTagged(tags: readonly string[]): void {
    this.invalidations++;
    const wanted = new Set(tags);
    for (const [key, entry] of [...this.entries]) {
      if (entry.tags?.some((tag) => wanted.has(tag))) this.delete(key);
    }
  }

  clear(): void {
    this.invalidations++;
    this.entries.clear();
    this.totalBytes = 0;
  }
}
