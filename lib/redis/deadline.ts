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
 * A sweep that runs this much later than it was due means the process itself was held (a long
 * synchronous task, a GC pause, a starved CPU). Node runs timers before it reads sockets, so the
 * replies that arrived meanwhile are still unread: overdue waiters get one turn of the event loop
 * to read them before they are declared out of time. A deadline measures Redis, not the process.
 */
export const LATE_SWEEP_MS = 10;

/**
 * Every command of a gateway has the same timeout, so deadlines expire in the order they were
 * taken: one list and one timer for all of them replace a timer per command (a hit costs two
 * array pushes instead of a setTimeout/clearTimeout pair). The timer sweeps every
 * {@link SWEEP_MS} (or at the next deadline, if sooner): answered waiters are dropped, overdue
 * ones rejected, the rest kept in order.
 */
export class DeadlineQueue {
  private readonly waiters: Waiter[] = [];
  /** `expiries[i]` is when `waiters[i]` runs out (a separate array: the waiter is not ours to extend). */
  private readonly expiries: number[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  /** When the scheduled sweep was due. */
  private dueAt = 0;

  /** `onExpire` runs once per waiter still waiting at its deadline, before it is rejected. */
  constructor(
    readonly ms: number,
    private readonly onExpire: () => void = () => undefined,
    // Monotonic: a wall clock stepped back would hold every waiter for the size of the step.
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Number of waiters not yet dropped (answered ones linger until the next sweep). */
  get size(): number {
    return this.waiters.length;
  }

  /** Starts a deadline: `waiter.reject` is called if it is not resolved in time. */
  add(waiter: Waiter): void {
    this.waiters.push(waiter);
    this.expiries.push(this.now() + this.ms);
    if (this.timer === undefined) this.schedule(this.ms);
  }

  private schedule(untilNextDeadline: number): void {
    const delay = Math.max(1, Math.min(SWEEP_MS, untilNextDeadline));
    this.dueAt = this.now() + delay;
    this.timer = setTimeout(this.sweep, delay);
    // Never keeps a process alive by itself: a command still waiting has its socket for that.
    this.timer.unref();
  }

  private readonly sweep = (): void => {
    const now = this.now();
    if (now - this.dueAt > LATE_SWEEP_MS && this.expiries.length > 0 && this.expiries[0] <= now) {
      // Sweep again after this turn has read the sockets (setImmediate runs after the poll phase).
      this.dueAt = Infinity;
      this.timer = setImmediate(this.sweep).unref();
      return;
    }
    this.timer = undefined;
    const { waiters, expiries } = this;
    const swept = waiters.length;
    let kept = 0;
    for (let i = 0; i < swept; i++) {
      const waiter = waiters[i];
      if (waiter.isResolved) continue;
      if (expiries[i] <= now) {
        this.onExpire();
        waiter.reject(new DeadlineExceededError(this.ms));
        continue;
      }
      waiters[kept] = waiter;
      expiries[kept] = expiries[i];
      kept++;
    }
    // Waiters added while rejecting (a caller retrying at once) follow the ones kept.
    for (let i = swept; i < waiters.length; i++, kept++) {
      waiters[kept] = waiters[i];
      expiries[kept] = expiries[i];
    }
    waiters.length = kept;
    expiries.length = kept;
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- onExpire() above runs outside code that can re-enter add() and schedule a timer
    if (kept > 0 && this.timer === undefined) this.schedule(expiries[0] - now);
  };
}
