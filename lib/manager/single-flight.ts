/**
 * One load per key per process: concurrent callers of a key that is being loaded share the
 * promise of the first. The entry is removed once the load has settled, so a failed or finished
 * load never lingers (no slow leak) and the next caller after a failure loads again.
 *
 * A load may ask to stay registered a little longer (`keepUntil`) while its value is still on
 * its way to Redis: callers in this process then get the value at once instead of finding the
 * lease in Redis and polling for it.
 */
export class SingleFlight<T = unknown> {
  private readonly inFlight = new Map<string, Promise<T>>();

  /** Number of keys being loaded now. */
  get size(): number {
    return this.inFlight.size;
  }

  /**
   * Runs `load` unless a load of `key` is already in flight, in which case its promise is
   * returned and `onJoin` is told.
   */
  run(
    key: string,
    load: (keepUntil: (settled: Promise<unknown>) => void) => Promise<T>,
    onJoin?: () => void,
  ): Promise<T> {
    const existing = this.inFlight.get(key);
    if (existing) {
      onJoin?.();
      return existing;
    }
    let kept: Promise<unknown> | undefined;
    const promise = load((settled) => (kept = settled));
    this.inFlight.set(key, promise);
    const release = (): void => {
      if (this.inFlight.get(key) === promise) this.inFlight.delete(key);
    };
    const afterLoad = (): void => {
      if (kept) kept.then(release, release);
      else release();
    };
    promise.then(afterLoad, afterLoad);
    return promise;
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
