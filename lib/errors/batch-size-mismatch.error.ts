import { CacheError } from './cache-error';

/**
 * A `getMany` loader must return exactly one value per missing key, in the same order (the
 * DataLoader convention). Anything else would pair values with the wrong keys, so the call is
 * rejected with this error and nothing of the batch is stored.
 */
export class BatchSizeMismatchError extends CacheError {
  /** Names the loader contract breach in logs. */
  override readonly name = 'BatchSizeMismatchError';
  /** How many values the loader was asked for (the missing keys). */
  readonly expected: number;
  /** How many values came back, or `undefined` when the loader did not return an array. */
  readonly received: number | undefined;

  constructor(expected: number, received: number | undefined) {
    super(
      'BATCH_SIZE_MISMATCH',
      `getMany loader returned ${received === undefined ? 'something other than an array' : `${received} values`} ` +
        `for ${expected} keys; return exactly one value per key, in the order of the keys it was given ` +
        '(use null or undefined for "not found").',
      { operation: 'getMany' },
    );
    this.expected = expected;
    this.received = received;
  }
}
