import { performance } from 'node:perf_hooks';

/**
 * How far below the estimated Redis-clock deadline a fence is set: room for the rounding and a
 * little drift between the clocks.
 */
export const FENCE_MARGIN_MS = 2;

/**
 * How fast two clocks may drift apart, in microseconds per millisecond (200 ppm, twice what
 * ordinary crystals are specified for): what is known of the offset widens by this much as a
 * sample ages.
 */
export const DRIFT_US_PER_MS = 0.2;

/** A node not heard from for this long is asked its time again before the next fenced write. */
export const SAMPLE_MAX_AGE_MS = 60_000;

/** What is known of a node's clock: its offset from ours lies in `[lowUs, highUs]`. */
interface Bounds {
  /** Redis time minus our monotonic time, microseconds: no lower than this. */
  readonly lowUs: number;
  /** No higher than this (Infinity when the send time was not known). */
  readonly highUs: number;
  /** When the bounds were last narrowed or renewed (our monotonic milliseconds). */
  readonly at: number;
}

/**
 * Redis's clock as seen from this process, so that a write can carry its caller's deadline into
 * Redis: a fenced script reads `TIME` and refuses to run past that deadline (see `scripts.ts`).
 * A write the caller gave up on then never lands later, over a newer write.
 *
 * Each reply that carries Redis's `TIME` (every fenced script returns it, so samples cost nothing
 * after the first) bounds the offset between the clocks: Redis read its clock after we sent the
 * command and before we read the reply, so the offset lies between `redisTime - receivedAt` and
 * `redisTime - sentAt`. Bounds of successive replies are intersected, widened by the drift
 * allowed since. A reply read late (the process busy with a backlog of its own: 20,000 misses in
 * one tick) gives loose bounds that change nothing; before, the latest sample replaced an older,
 * tighter one after 5 s, and a reply read 3 s late set every later fence 3 s early: a healthy
 * Redis refused the writes of a burst as late. Bounds that do not overlap mean the node's clock
 * moved (stepped, or another node answers after a failover): the new ones replace them.
 *
 * The fence uses the low bound: it errs on the early side only, a write may be refused slightly
 * before its caller gives up, never run after. Bounds are kept per Cluster slot (one slot 0 when
 * standalone): each node has its own clock.
 */
export class RedisClock {
  private readonly bounds = new Map<number, Bounds>();

  constructor(readonly now: () => number = () => performance.now()) {}

  /** True when the slot's node has a recent enough sample for a fence. */
  knows(slot: number): boolean {
    const known = this.bounds.get(slot);
    return known !== undefined && this.now() - known.at < SAMPLE_MAX_AGE_MS;
  }

  /**
   * Takes a reply's `TIME` (seconds and microseconds, as Redis gives them), received now, of a
   * command sent at `sentAt` (our monotonic milliseconds; unknown: no upper bound).
   */
  observe(slot: number, seconds: unknown, micros: unknown, sentAt?: number): void {
    const at = this.now();
    const redisUs = Number(seconds) * 1_000_000 + Number(micros);
    if (!Number.isFinite(redisUs)) return;
    let lowUs = redisUs - at * 1000;
    let highUs = sentAt === undefined ? Infinity : redisUs - sentAt * 1000;
    const known = this.bounds.get(slot);
    if (known !== undefined) {
      const drift = (at - known.at) * DRIFT_US_PER_MS;
      const knownLow = known.lowUs - drift;
      const knownHigh = known.highUs + drift;
      if (lowUs <= knownHigh && highUs >= knownLow) {
        lowUs = Math.max(lowUs, knownLow);
        highUs = Math.min(highUs, knownHigh);
      }
    }
    this.bounds.set(slot, { lowUs, highUs, at });
  }

  /**
   * The latest Redis time (microseconds) at which a command may still run for a caller that
   * gives up `withinMs` from now; undefined when the slot's node was never sampled.
   */
  fence(slot: number, withinMs: number): number | undefined {
    const known = this.bounds.get(slot);
    if (known === undefined) return undefined;
    const now = this.now();
    // Never more than half the time allowed: a very short deadline still leaves some.
    const margin = Math.min(FENCE_MARGIN_MS, withinMs / 2);
    const lowUs = known.lowUs - (now - known.at) * DRIFT_US_PER_MS;
    return Math.floor((now + withinMs - margin) * 1000 + lowUs);
  }

  /** Forgets every sample (the client reconnected: perhaps to another node). */
  forget(): void {
    this.bounds.clear();
  }
}
