import { RedisUnavailableError } from '../errors/redis-unavailable.error';
import { isReplyError } from '../redis/redis-errors';
import type { RedisGateway } from '../redis/redis-gateway';
import type { Leases } from './leases';

/**
 * When a `get`'s read also takes the load lease (`SET key marker NX PX ttl GET`, Redis 7) instead
 * of a plain GET: `'auto'` while at least a quarter of recent reads found nothing, `'always'`,
 * or `'never'`.
 */
export type LeaseOnRead = 'auto' | 'always' | 'never';

/** The answer of a read that put our lease at an absent key. */
export const LEASE_TAKEN: unique symbol = Symbol('lease taken');

/** Refusals that say the command's form will never be accepted by this server or user. */
const UNSUPPORTED = /^(ERR (syntax error|unknown|wrong number)|NOPERM)/i;

/** Reads per window of `'auto'`: each window decides the mode of the next one. */
export const AUTO_WINDOW = 64;
/** How long reads go back to GET after Redis refused the leasing read as a write (OOM, READONLY). */
export const WRITE_REFUSED_PAUSE_MS = 1000;

/**
 * A miss sends one command less when the read itself takes the lease: the lease take was a
 * round trip of its own (issue #13: misses 0.63× → 0.92× raw ioredis). A hit then costs a few
 * bytes more and is a write to Redis (refused under OOM, not sent to replicas), so `'auto'` asks
 * for the lease only while misses are common: a window of {@link AUTO_WINDOW} reads in which a
 * quarter or more found nothing puts the next window in leasing mode, and it starts with GET.
 *
 * Redis refusing it falls back to GET: for good on a server that does not know the command's
 * form (Redis before 7.0: `ERR syntax error`) or an ACL that forbids it; for
 * {@link WRITE_REFUSED_PAUSE_MS} on any other refusal (OOM, a replica's READONLY, LOADING), which
 * leaves reads possible. A `WRONGTYPE` answer is GET's own, and is the caller's to handle.
 */
export class LeasingReads {
  private reads = 0;
  private absent = 0;
  private leasing: boolean;
  private supported = true;
  private pausedUntil = 0;

  constructor(
    private readonly mode: LeaseOnRead,
    private readonly gateway: RedisGateway,
    private readonly leases: Leases,
    /** The gateway's view whose failures do not count (see `RedisGateway.forBatches`). */
    private readonly giveBackVia: RedisGateway,
    private readonly now: () => number = Date.now,
  ) {
    this.leasing = mode === 'always';
  }

  /**
   * Whether the next read should ask for the lease. Not while the client is not ready: a write
   * then waits for the first connection (bounded by the deadline) where a GET fails fast or is
   * queued by the client, and the read is better served as a GET would be.
   */
  get wanted(): boolean {
    return (
      this.leasing &&
      this.supported &&
      (this.pausedUntil === 0 || this.pauseOver()) &&
      this.gateway.writable
    );
  }

  /** Counts one read for `'auto'`: whether it found the key absent (a null reply, or our lease). */
  noteRead(absent: boolean): void {
    if (this.mode !== 'auto') return;
    if (absent) this.absent++;
    if (++this.reads < AUTO_WINDOW) return;
    this.leasing = this.absent * 4 >= AUTO_WINDOW;
    this.reads = 0;
    this.absent = 0;
  }

  /**
   * The key's bytes, or {@link LEASE_TAKEN} when it was absent and `marker` is now there. Falls
   * back to a GET when Redis refuses the leasing form (null is then an absent key, not leased).
   */
  async read(fullKey: string, marker: string): Promise<Buffer | null | typeof LEASE_TAKEN> {
    try {
      return (await this.gateway.getOrLease(fullKey, marker, this.leases.ttlMs)) ?? LEASE_TAKEN;
    } catch (error) {
      if (this.fallsBackOn(error)) return this.gateway.get(fullKey);
      // No answer (late, lost): the command may still have taken the lease, or take it yet. The
      // give-back goes behind it on the same connection, through a view whose failures the
      // circuit breaker does not count: on a hung server, each failed read counts once, as a
      // GET's would. Nothing was written after an error reply (WRONGTYPE), nor when the command
      // was never sent (circuit open, client not ready): no give-back then, or an outage would
      // fill the held give-backs with leases that never were.
      if (!isReplyError(error) && !(error instanceof RedisUnavailableError))
        this.leases.release(fullKey, marker, this.giveBackVia);
      throw error;
    }
  }

  /** Whether a failed leasing read is retried as a GET (and what it says about the next ones). */
  private fallsBackOn(error: unknown): boolean {
    if (!isReplyError(error)) return false;
    const message = (error as Error).message;
    if (message.startsWith('WRONGTYPE')) return false;
    // The form itself refused: a server before 7.0 ("ERR syntax error"), one that does not know
    // SET's options, or an ACL without SET. Any other refusal (OOM, READONLY, LOADING, BUSY, a
    // proxy's transient ERR) pauses leasing reads; reads meanwhile are GETs.
    if (UNSUPPORTED.test(message)) this.supported = false;
    else this.pausedUntil = this.now() + WRITE_REFUSED_PAUSE_MS;
    return true;
  }

  private pauseOver(): boolean {
    if (this.now() < this.pausedUntil) return false;
    this.pausedUntil = 0;
    return true;
  }
}
