import { nextTicket } from './flight-clock';

/** What a load tells would-be joiners about itself. */
export interface Flight {
  /** Where the load began in the process's order of reads, loads and writes (`flight-clock.ts`). */
  readonly begun: number;
  /** The lease marker the load holds at its key, once it holds one. */
  lease?: string;
  /**
   * Set when the load answered with the old value inside its grace window (the loader failed or
   * was slower than `softTimeoutMs`/`hardTimeoutMs`): what each caller of it got was stale.
   */
  servedStale?: boolean;
  /**
   * Told once the load settles, by the registry's own reaction to it: whoever must know that
   * (the load's re-entrancy frame) adds no second reaction per pending miss.
   */
  listener?: SettleListener;
}

/** Told when a load in flight settles (see `Flight.listener`). */
export interface SettleListener {
  settled(): void;
}

/**
 * Join a load in this process only if it cannot have begun before a write the read must see.
 * A load that holds a lease is joined only if our own read saw that lease at the key (if it is
 * gone, a write or invalidation from some process came after the load began). A load without a
 * lease (not taken yet, refused, or Redis unreachable) proves nothing about later writes: it is
 * joined only if it began after the read started (`startedAt`, from `clockNow()`), as the loads
 * of one burst of reads do.
 */
export function canJoin(
  flight: Flight,
  seen: { readonly state: string; readonly marker?: string },
  startedAt: number,
): boolean {
  if (flight.lease === undefined) return flight.begun > startedAt;
  return seen.state === 'leased' && seen.marker === flight.lease;
}

/**
 * Join a load without having read Redis (it could not be reached): only if no write by a manager
 * of this process was noted between the load's start and the read's (`writesAtStart`, from
 * `lastWriteTicket()`). A write from another process cannot be known without Redis, but neither
 * can this process read anything newer than the load would give.
 */
export function canJoinUnread(flight: Flight, writesAtStart: number): boolean {
  return flight.begun > writesAtStart;
}

/**
 * One load per key per process: concurrent callers of a key that is being loaded share the
 * promise of the first. The entry is removed once the load has settled, so a failed or finished
 * load never lingers (no slow leak) and the next caller after a failure loads again.
 *
 * A caller joins only if `canJoin` accepts the flight: the manager uses that to refuse a load
 * whose lease has vanished from Redis — an invalidation (from any process) came after that
 * load began, so its result must not answer a read that began after the invalidation.
 */
export class SingleFlight<T = unknown> {
  private readonly inFlight = new Map<string, { promise: Promise<T>; flight: Flight }>();

  /** Number of keys being loaded now. */
  get size(): number {
    return this.inFlight.size;
  }

  /**
   * Runs `load` unless an acceptable load of `key` is already in flight, in which case its
   * promise is returned and `onJoin` is told which flight it joined. A refused flight goes on for its own callers; the
   * new one takes its place for later callers.
   */
  run(
    key: string,
    load: (flight: Flight) => Promise<T>,
    onJoin?: (flight: Flight, promise: Promise<T>) => void,
    canJoin?: (flight: Flight) => boolean,
  ): Promise<T> {
    const existing = this.inFlight.get(key);
    if (existing && (canJoin === undefined || canJoin(existing.flight))) {
      onJoin?.(existing.flight, existing.promise);
      return existing.promise;
    }
    // Fields set later are named here: they then live inside the object, not in a property
    // array that every pending miss would carry besides.
    const flight: Flight = { begun: nextTicket(), lease: undefined, listener: undefined };
    const promise = load(flight);
    const entry = { promise, flight };
    this.inFlight.set(key, entry);
    const release = (): void => {
      if (this.inFlight.get(key) === entry) this.inFlight.delete(key);
      flight.listener?.settled();
    };
    promise.then(release, release);
    return promise;
  }

  /** The load of `key` in flight, if any (joinable or not). */
  peek(key: string): Flight | undefined {
    return this.inFlight.get(key)?.flight;
  }

  /** An acceptable load of `key` in flight, if any (a batch joins per key). */
  joinable(
    key: string,
    canJoin: (flight: Flight) => boolean,
  ): { readonly promise: Promise<T>; readonly flight: Flight } | undefined {
    const existing = this.inFlight.get(key);
    return existing !== undefined && canJoin(existing.flight) ? existing : undefined;
  }

  /**
   * Stops sharing loads that began before an invalidation: later callers load afresh. The
   * loads themselves go on for the callers that already joined them.
   */
  forget(key: string): void {
    this.inFlight.delete(key);
  }

  forgetAll(): void {
    this.inFlight.clear();
  }
}
