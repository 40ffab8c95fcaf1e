import { prefixed, type ConfigurationErrorCode } from './configuration-error-code';

/** A `RangeError` with a `code`: a number outside what the option allows. */
export class CacheRangeError extends RangeError {
  override readonly name: string = 'RangeError';
  readonly code: ConfigurationErrorCode;

  constructor(code: ConfigurationErrorCode, message: string) {
    super(prefixed(message));
    this.code = code;
  }
}
