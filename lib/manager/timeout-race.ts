/** What `raceTimeout` resolves with when the time ran out first. */
export const TIMED_OUT: unique symbol = Symbol('timed out');

/**
 * Waits for `promise` at most `ms`; the promise itself goes on (a loader cannot be cancelled),
 * only the caller stops waiting for it. `promise` must not reject (wrap outcomes first).
 */
export function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve(TIMED_OUT);
    }, ms);
    void promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}
