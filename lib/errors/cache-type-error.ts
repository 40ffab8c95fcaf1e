import { prefixed, type ConfigurationErrorCode } from './configuration-error-code';

/**
 * A `TypeError` with a `code`: an argument or option of the wrong type or name. Thrown at the
 * earliest point (construction, decoration, the start of a call), never from deep inside Redis.
 */
export class CacheTypeError extends TypeError {
  override readonly name: string = 'TypeError';
  readonly code: ConfigurationErrorCode;

  constructor(code: ConfigurationErrorCode, message: string) {
    super(prefixed(message));
    this.code = code;
  }
}
