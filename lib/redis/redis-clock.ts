import { performance } from 'node:perf_hooks';

/**
 * How far below the estimated Redis-clock deadline a fence is set: room for the drift of two
 * clocks between samples (100 ppm over {@link SAMPLE_REPLACE_MS} is 0.5 ms) and the rounding.
 */
export const FENCE_MARGIN_MS = 2;

/** A lower sample replaces the best one after this long (a clock stepped back, a failover). */
export const SAMPLE_REPLACE_MS = 5_000;

/** A node not heard from for this long is asked its time again before the next fenced write. */
export const SAMPLE_MAX_AGE_MS = 60_000;

interface Sample {
  /** Redis time minus our monotonic time, microseconds: a lower bound of the true offset. */
  readonly offsetUs: number;
  /** When it was taken (our monotonic milliseconds). */
  readonly at: number;
}

/**
 * Redis's clock as seen from this process, so that a write can carry its caller's deadline into
 * Redis: a fenced script reads `TIME` and refuses to run past that deadline (see `scripts.ts`).
 * A write the caller gave up on then never lands later, over a newer write.
 *
 * Each sample comes from a reply that carries Redis's `TIME` (every fenced script returns it, so
 * samples cost nothing after the first): Redis read its clock at some moment before we received
 * the reply, so `redisTime - receivedAt` is a lower bound of the offset between the clocks. The
 * largest recent lower bound is kept. Using a lower bound makes the fence err on the early side
 * only: a write may be refused slightly before its caller gives up, never run after.
 *
 * Samples are kept per Cluster slot (one `slot` 0 when standalone): each node has its own clock.
 */
export class RedisClock {
  private readonly samples = new Map<number, Sample>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** True when the slot's node has a recent enough sample for a fence. */
  knows(slot: number): boolean {
    const sample = this.samples.get(slot);
    return sample !== undefined && this.now() - sample.at < SAMPLE_MAX_AGE_MS;
  }

  /** Takes a reply's `TIME` (seconds and microseconds, as Redis gives them) received now. */
  observe(slot: number, seconds: unknown, micros: unknown): void {
    const at = this.now();
    const redisUs = Number(seconds) * 1_000_000 + Number(micros);
    if (!Number.isFinite(redisUs)) return;
    const offsetUs = redisUs - at * 1000;
    const best = this.samples.get(slot);
    if (best === undefined || offsetUs > best.offsetUs || at - best.at > SAMPLE_REPLACE_MS)
      this.samples.set(slot, { offsetUs, at });
  }

  /**
   * The latest Redis time (microseconds) at which a command may still run for a caller that
   * gives up `withinMs` from now; undefined when the slot's node was never sampled.
   */
  fence(slot: number, withinMs: number): number | undefined {
    const sample = this.samples.get(slot);
    if (sample === undefined) return undefined;
    // Never more than half the time allowed: a very short deadline still leaves some.
    const margin = Math.min(FENCE_MARGIN_MS, withinMs / 2);
    return Math.floor((this.now() + withinMs - margin) * 1000 + sample.offsetUs);
  }

  /** Forgets every sample (the client reconnected: perhaps to another node). */
  forget(): void {
    this.samples.clear();
  }
}
