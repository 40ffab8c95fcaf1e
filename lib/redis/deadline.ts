/**
 * Deadlines of Redis commands. A command is not cancelled when its deadline passes (Redis has no
 * cancel); only its caller stops waiting, which is what fail-open needs.
 */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  constructor(readonly ms: number) {
    super(`no answer from Redis within ${ms} ms`);
  }
}

/** One command's place in the queue. Whoever settles it first sets `done`. */
export interface DeadlineTicket {
  done: boolean;
  readonly expiresAt: number;
  /** Rejects the command's caller; called with a `DeadlineExceededError` when time is up. */
  readonly reject: (error: Error) => void;
}

/**
 * Every command of a gateway has the same timeout, so deadlines expire in the order they were
 * taken: a FIFO queue and one timer for all of them replace a timer per command (a hit costs an
 * array push instead of a setTimeout/clearTimeout pair). Settled tickets are skipped and
 * dropped when the timer next fires.
 */
export class DeadlineQueue {
  private tickets: DeadlineTicket[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  /** `onExpire` runs once per expired ticket, before its caller is rejected. */
  constructor(
    readonly ms: number,
    private readonly onExpire: () => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Number of tickets not yet dropped (settled ones linger until the timer fires). */
  get size(): number {
    return this.tickets.length - this.head;
  }

  /** Starts a deadline: `reject` is called if nobody marked the ticket `done` in time. */
  start(reject: (error: Error) => void): DeadlineTicket {
    const ticket: DeadlineTicket = { done: false, expiresAt: this.now() + this.ms, reject };
    this.tickets.push(ticket);
    if (this.timer === undefined) this.schedule(this.ms);
    return ticket;
  }

  private schedule(delay: number): void {
    this.timer = setTimeout(this.fire, Math.max(1, delay));
    // Never keeps a process alive by itself: a command still waiting has its socket for that.
    this.timer.unref();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    const now = this.now();
    const tickets = this.tickets;
    let head = this.head;
    while (head < tickets.length) {
      const ticket = tickets[head];
      if (!ticket.done) {
        if (ticket.expiresAt > now) break;
        ticket.done = true;
        this.onExpire();
        ticket.reject(new DeadlineExceededError(this.ms));
      }
      head++;
    }
    if (head === tickets.length) {
      this.tickets = [];
      this.head = 0;
      return;
    }
    if (head > 1024 && head * 2 > tickets.length) {
      this.tickets = tickets.slice(head);
      head = 0;
    }
    this.head = head;
    this.schedule(this.tickets[head].expiresAt - now);
  };
}
