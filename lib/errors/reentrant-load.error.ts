import { CacheError, type CacheOperation } from './cache-error';

/**
 * A loader (or a decorated method) read a key that a load it runs inside is loading: waiting for
 * that load would mean waiting for itself, forever. The read is rejected at once instead, and
 * the error names the cycle, outermost load first: `a → b → a` is a loader of `a` that read `b`,
 * whose loader read `a`. Without the cache the same code would recurse without end, so this is a
 * programming slip to fix, not a condition to retry.
 */
export class ReentrantLoadError extends CacheError {
  /** Names the slip in logs. */
  override readonly name = 'ReentrantLoadError';
  /** The keys of the cycle (without the prefix), outermost first; the last is the key read again. */
  readonly cycle: readonly string[];

  constructor(cycle: readonly string[], operation: CacheOperation) {
    const key = cycle[cycle.length - 1];
    super(
      'REENTRANT_LOAD',
      `a loader read the key it is loading (${cycle.join(' → ')}): it would wait for itself ` +
        'forever. Read the data source directly inside a loader, or give the inner read another key.',
      { operation, key },
    );
    this.cycle = Object.freeze([...cycle]);
  }
}
