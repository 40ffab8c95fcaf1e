import type { GlobMatcher } from '../entry/glob';
import { patternMatcherOf, type Invalidation } from '../entry/invalidation';

/**
 * Invalidations that failed because Redis was unreachable, kept (bounded) and replayed in order
 * when Redis is back, so an update is not left stale until the TTL. Until a pending invalidation
 * has been replayed, reads of what it covers skip Redis — the entry there may be the stale one.
 */
export class InvalidationQueue {
  private readonly items: Invalidation[] = [];
  private readonly keys = new Map<string, number>();
  private readonly patterns: Array<{ match: string; regexp: GlobMatcher }> = [];
  private readonly tags = new Map<string, number>();
  private weight = 0;

  constructor(private readonly capacity: number) {}

  /** Number of keys, patterns and tags waiting. */
  get size(): number {
    return this.weight;
  }

  /** Queues an invalidation; returns those dropped (oldest first) to stay within capacity. */
  add(item: Invalidation): Invalidation[] {
    this.items.push(item);
    this.index(item, 1);
    const dropped: Invalidation[] = [];
    while (this.weight > this.capacity && this.items.length > 1) {
      const oldest = this.items.shift() as Invalidation;
      this.index(oldest, -1);
      dropped.push(oldest);
    }
    return dropped;
  }

  /** True when a pending key or pattern invalidation covers this key. */
  covers(fullKey: string): boolean {
    if (this.weight === 0) return false;
    if (this.keys.has(fullKey)) return true;
    for (const { regexp } of this.patterns) if (regexp.test(fullKey)) return true;
    return false;
  }

  /** True when a pending tag invalidation covers one of an entry's tags. */
  coversTags(entryTags: ReadonlyArray<{ tag: string }>): boolean {
    if (this.tags.size === 0) return false;
    return entryTags.some(({ tag }) => this.tags.has(tag));
  }

  /**
   * Replays pending invalidations in order through `execute`, removing each that succeeds.
   * Stops at the first failure (Redis is still away); returns how many were replayed.
   */
  async replay(execute: (item: Invalidation) => Promise<unknown>): Promise<number> {
    let replayed = 0;
    while (this.items.length > 0) {
      const item = this.items[0];
      await execute(item);
      // Only the item we executed is removed: new ones may have been added meanwhile.
      if (this.items[0] === item) {
        this.items.shift();
        this.index(item, -1);
      }
      replayed++;
    }
    return replayed;
  }

  private index(item: Invalidation, delta: 1 | -1): void {
    if (item.kind === 'keys') {
      for (const key of item.keys) bump(this.keys, key, delta);
      this.weight += delta * item.keys.length;
    } else if (item.kind === 'tags') {
      for (const tag of item.tags) bump(this.tags, tag, delta);
      this.weight += delta * item.tags.length;
    } else {
      if (delta > 0) this.patterns.push({ match: item.match, regexp: patternMatcherOf(item) });
      else
        this.patterns.splice(
          this.patterns.findIndex((p) => p.match === item.match),
          1,
        );
      this.weight += delta;
    }
  }
}

function bump(counts: Map<string, number>, key: string, delta: number): void {
  const next = (counts.get(key) ?? 0) + delta;
  if (next <= 0) counts.delete(key);
  else counts.set(key, next);
}
