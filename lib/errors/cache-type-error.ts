import { prefixed, type ConfigurationErrorCode } from './configuration-error-code';

/**
 * A `TypeError` with a `code`: an argument or option of the wrong type or name. Thrown at the
 * earliest point (construction, decoration, the start of a call), never from deep inside Redis.
 */
export class CacheTypeError extends TypeError {
  /** `'TypeError'`, so that code and logs expecting a plain TypeError still recognise it. */
  override readonly name: string = 'TypeError';
  /** Which configuration rule was broken (see `ConfigurationErrorCode`), for tests and tooling. */
  readonly code: ConfigurationErrorCode;

  constructor(code: ConfigurationErrorCode, message: string) {
    super(prefixed(message));
    this.code = code;
  }
}
