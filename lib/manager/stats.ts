/** Counters of one label (a decorated method's `Class.method`). */
export interface MethodStats {
  /** Lookups the cache answered (L1 or Redis, fresh or stale-while-revalidate). */
  hits: number;
  /** Lookups the loader answered (misses, and reads that bypassed Redis). */
  misses: number;
  /** Errors reported (Redis failures, unreadable entries), each also an `'error'` event. */
  errors: number;
  /** `hits / (hits + misses)`, `0` before any read. */
  hitRatio: number;
  /** Loader calls made for this label (coalesced callers share one). */
  loads: number;
  /** Total milliseconds spent in those loader calls. */
  loadTimeMs: number;
}

/** What `stats()` returns: the totals, the manager's state, and the same figures per label. */
export interface CacheStats extends MethodStats {
  /** Values written to Redis (loads stored and `set` calls). */
  sets: number;
  /** Entries removed by invalidations. */
  evictions: number;
  /** Callers that joined a load already in flight in this process instead of loading again. */
  coalesced: number;
  /** Stale values served inside a grace window because the loader failed. */
  staleServed: number;
  /** Invalidations waiting for Redis to come back. */
  pendingInvalidations: number;
  /** The circuit breaker: `open` while Redis is skipped after repeated connection failures. */
  circuit: 'closed' | 'open' | 'half-open';
  /** Hits answered by the in-process tier (included in `hits`). */
  l1Hits: number;
  /** Entries and bytes held by the in-process tier (0 when it is off). */
  l1Entries: number;
  /** Bytes the in-process tier holds (0 when it is off). */
  l1Bytes: number;
  /** Per-label breakdown (decorated methods pass `Class.method`). */
  methods: Record<string, MethodStats>;
}

class Counters {
  hits = 0;
  misses = 0;
  errors = 0;
  loads = 0;
  loadTimeMs = 0;

  snapshot(): MethodStats {
    const reads = this.hits + this.misses;
    return {
      hits: this.hits,
      misses: this.misses,
      errors: this.errors,
      hitRatio: reads === 0 ? 0 : this.hits / reads,
      loads: this.loads,
      loadTimeMs: this.loadTimeMs,
    };
  }
}

/**
 * Plain counters on the manager: incrementing a number is the whole cost of a statistic on the
 * hot path; ratios and the per-label breakdown are computed only when `stats()` is asked for.
 */
export class StatsRecorder {
  private total = new Counters();
  private byLabel = new Map<string, Counters>();
  sets = 0;
  evictions = 0;
  coalesced = 0;
  staleServed = 0;
  l1Hits = 0;

  hit(label: string | undefined): void {
    this.total.hits++;
    if (label !== undefined) this.of(label).hits++;
  }

  miss(label: string | undefined): void {
    this.total.misses++;
    if (label !== undefined) this.of(label).misses++;
  }

  error(label: string | undefined): void {
    this.total.errors++;
    if (label !== undefined) this.of(label).errors++;
  }

  load(label: string | undefined, ms: number): void {
    this.total.loads++;
    this.total.loadTimeMs += ms;
    if (label !== undefined) {
      const counters = this.of(label);
      counters.loads++;
      counters.loadTimeMs += ms;
    }
  }

  snapshot(
    pendingInvalidations: number,
    circuit: CacheStats['circuit'],
    l1Entries = 0,
    l1Bytes = 0,
  ): CacheStats {
    const methods: Record<string, MethodStats> = {};
    for (const [label, counters] of this.byLabel) methods[label] = counters.snapshot();
    return {
      ...this.total.snapshot(),
      sets: this.sets,
      evictions: this.evictions,
      coalesced: this.coalesced,
      staleServed: this.staleServed,
      pendingInvalidations,
      circuit,
      l1Hits: this.l1Hits,
      l1Entries,
      l1Bytes,
      methods,
    };
  }

  reset(): void {
    this.total = new Counters();
    this.byLabel = new Map();
    this.sets = 0;
    this.evictions = 0;
    this.coalesced = 0;
    this.staleServed = 0;
    this.l1Hits = 0;
  }

  private of(label: string): Counters {
    let counters = this.byLabel.get(label);
    if (!counters) {
      counters = new Counters();
      this.byLabel.set(label, counters);
    }
    return counters;
  }
}
