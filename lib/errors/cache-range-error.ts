import { prefixed, type ConfigurationErrorCode } from './configuration-error-code';

/** A `RangeError` with a `code`: a number outside what the option allows. */
export class CacheRangeError extends RangeError {
  /** `'RangeError'`, so that code and logs expecting a plain RangeError still recognise it. */
  override readonly name: string = 'RangeError';
  /** Which configuration rule was broken (see `ConfigurationErrorCode`), for tests and tooling. */
  readonly code: ConfigurationErrorCode;

  constructor(code: ConfigurationErrorCode, message: string) {
    super(prefixed(message));
    this.code = code;
  }
}
