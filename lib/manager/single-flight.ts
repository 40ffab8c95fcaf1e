/** What a load tells would-be joiners about itself. */
export interface Flight {
  /** The lease marker the load holds at its key, once it holds one. */
  lease?: string;
  /**
   * Set when the load answered with the old value inside its grace window (the loader failed or
   * was slower than `softTimeoutMs`/`hardTimeoutMs`): what each caller of it got was stale.
   */
  servedStale?: boolean;
}

/**
 * Join a load in this process only if our own read saw its lease at the key (or it holds none
 * yet): if the lease is gone, an invalidation came after that load began.
 */
export function canJoin(
  flight: Flight,
  seen: { readonly state: string; readonly marker?: string },
): boolean {
  return flight.lease === undefined || (seen.state === 'leased' && seen.marker === flight.lease);
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
    onJoin?: (flight: Flight) => void,
    canJoin?: (flight: Flight) => boolean,
  ): Promise<T> {
    const existing = this.inFlight.get(key);
    if (existing && (canJoin === undefined || canJoin(existing.flight))) {
      onJoin?.(existing.flight);
      return existing.promise;
    }
    const flight: Flight = {};
    const promise = load(flight);
    const entry = { promise, flight };
    this.inFlight.set(key, entry);
    const release = (): void => {
      if (this.inFlight.get(key) === entry) this.inFlight.delete(key);
    };
    promise.then(release, release);
    return promise;
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
