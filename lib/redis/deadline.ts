import { DeadlineExceededError } from '../errors/deadline-exceeded.error';

/**
 * Something waiting for Redis under a deadline. ioredis's own `Command` has this shape, so a hit
 * hands its command to the queue as it is and needs no ticket of its own (see `direct-get.ts`).
 */
export interface Waiter {
  /** True once the wait is over (answered, or settled otherwise): the deadline no longer applies. */
  readonly isResolved: boolean;
  /** Ends the wait; called with a `DeadlineExceededError` when time is up. */
  reject(error: Error): void;
}

/**
 * How often pending waiters are swept while any are pending. A waiter holds its command's promise
 * and so the reply it resolved with; dropping answered ones within a few milliseconds keeps
 * replies from surviving into V8's old generation (holding them for the whole deadline cost
 * about a tenth of hit throughput in `npm run bench`).
 */
export const SWEEP_MS = 5;

/**
 * A sweep that runs this much later than it was due means the process itself could not run (a
 * long synchronous stretch such as 20,000 calls issued in one tick, a GC pause, a loaded machine):
 * that time is not counted against any deadline. Timer jitter stays well under it.
 */
export const STALL_SLACK_MS = 10;

/**
 * Every command of a gateway has the same timeout, so deadlines expire in the order they were
 * taken: one list and one timer for all of them replace a timer per command (a hit costs two
 * array pushes instead of a setTimeout/clearTimeout pair). The timer sweeps every
 * {@link SWEEP_MS} (or at the next deadline, if sooner): answered waiters are dropped, overdue
 * ones rejected, the rest kept in order.
 *
 * A deadline measures Redis, not the process's own backlog: time during which the process could
 * not run (a sweep late by more than {@link STALL_SLACK_MS}) is left out, since no reply could be
 * read then — before, 20,000 misses issued in one tick all expired while the tick that sent them
 * was still running (issue #12 finding 5).
 */
export class DeadlineQueue<G = undefined> {
  private readonly waiters: Waiter[] = [];
  /** `expiries[i]` is when `waiters[i]` runs out, on the clock without stalls (see `clock`). */
  private readonly expiries: number[] = [];
  /** `groups[i]` is the connection (a Cluster node's breaker) `waiters[i]` waits on. */
  private readonly groups: Array<G | undefined> = [];
  private timer: NodeJS.Timeout | undefined;
  /** When the pending sweep is due (monotonic). */
  private dueAt = 0;
  /** Milliseconds the process was seen stalled, left out of every deadline. */
  private stalled = 0;
  /** When a sweep last found a waiter of each group answered (on the clock without stalls). */
  private readonly progressAt = new Map<G | undefined, number>();

  /**
   * `onExpire` runs once per sweep and group that expired waiters, before they are rejected,
   * with how many and whether another waiter of the group was answered since the previous
   * sweep (Redis is making progress: what expired waited behind a backlog, which says nothing
   * about Redis being unreachable).
   *
   * `ordered(group)`: the group's waiters are commands on one connection, answered in the order
   * sent (a standalone client; a Cluster node). A reply is then due only once the one before it
   * is in, so nothing of the group expires while Redis answered one of them within the last
   * `ms`: a backlog that Redis works through (our own burst) is not a timeout, a Redis that
   * stops answering still is.
   */
  constructor(
    readonly ms: number,
    private readonly onExpire: (
      group: G | undefined,
      expired: number,
      progressed: boolean,
    ) => void = () => undefined,
    // Monotonic: a wall clock stepped back would hold every waiter for the size of the step.
    private readonly now: () => number = () => performance.now(),
    private readonly ordered: (group: G | undefined) => boolean = () => false,
  ) {}

  /** Number of waiters not yet dropped (answered ones linger until the next sweep). */
  get size(): number {
    return this.waiters.length;
  }

  /** The clock deadlines run on: monotonic time less the stalls seen so far. */
  private clock(): number {
    return this.now() - this.stalled;
  }

  /** Starts a deadline: `waiter.reject` is called if it is not resolved in time. */
  add(waiter: Waiter, group?: G): void {
    this.waiters.push(waiter);
    this.expiries.push(this.clock() + this.ms);
    this.groups.push(group);
    if (this.timer === undefined) this.schedule(this.ms);
  }

  private schedule(untilNextDeadline: number): void {
    const delay = Math.max(1, Math.min(SWEEP_MS, untilNextDeadline));
    this.dueAt = this.now() + delay;
    this.timer = setTimeout(this.sweep, delay);
    // Never keeps a process alive by itself: a command still waiting has its socket for that.
    this.timer.unref();
  }

  /** True while a waiter of `group` may not expire yet: its connection answered lately. */
  private stillDue(group: G | undefined, now: number): boolean {
    return this.ordered(group) && (this.progressAt.get(group) ?? -Infinity) + this.ms > now;
  }

  private readonly sweep = (): void => {
    this.timer = undefined;
    const late = this.now() - this.dueAt;
    if (late > STALL_SLACK_MS) this.stalled += late;
    const now = this.clock();
    const { waiters, expiries, groups, progressAt } = this;
    for (let i = 0; i < waiters.length; i++)
      if (waiters[i].isResolved) progressAt.set(groups[i], now);
    let kept = 0;
    let expired: Array<{ waiter: Waiter; group: G | undefined }> | undefined;
    // Rejections wait until the list is compacted: one may re-enter add() (a caller retrying).
    for (let i = 0; i < waiters.length; i++) {
      const waiter = waiters[i];
      if (waiter.isResolved) continue;
      const group = groups[i];
      if (expiries[i] <= now && !this.stillDue(group, now))
        (expired ??= []).push({ waiter, group });
      else {
        waiters[kept] = waiter;
        expiries[kept] = expiries[i];
        groups[kept] = group;
        kept++;
      }
    }
    waiters.length = kept;
    expiries.length = kept;
    groups.length = kept;
    if (expired !== undefined) this.expire(expired, now);
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a rejection in expire() may have re-entered add() and scheduled a timer
    if (waiters.length > 0 && this.timer === undefined) {
      const head = groups[0];
      const opensAt = this.ordered(head) ? (progressAt.get(head) ?? 0) + this.ms : 0;
      this.schedule(Math.max(expiries[0], opensAt) - this.clock());
    }
  };

  /** Tells `onExpire` once per group, then rejects each expired waiter. */
  private expire(
    expired: ReadonlyArray<{ waiter: Waiter; group: G | undefined }>,
    now: number,
  ): void {
    const counts = new Map<G | undefined, number>();
    for (const { group } of expired) counts.set(group, (counts.get(group) ?? 0) + 1);
    for (const [group, count] of counts)
      this.onExpire(group, count, this.progressAt.get(group) === now);
    for (const { waiter } of expired) waiter.reject(new DeadlineExceededError(this.ms));
  }
}
