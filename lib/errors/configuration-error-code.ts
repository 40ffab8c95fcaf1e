/**
 * What was wrong with a configuration or an argument, as a stable string to switch on. Every
 * `TypeError` and `RangeError` the library throws at construction, decoration or the start of a
 * call carries one of these as `code`, beside a message that names the fix.
 */
export type ConfigurationErrorCode =
  /** An argument or option has the wrong type or shape. */
  | 'ERR_CACHE_ASIDE_INVALID_ARGUMENT'
  /** A number is outside the range the option allows. */
  | 'ERR_CACHE_ASIDE_OUT_OF_RANGE'
  /** An option name is not one the library knows (a typo, or an option of another library). */
  | 'ERR_CACHE_ASIDE_UNKNOWN_OPTION'
  /** A decorator placed where it cannot work (a field, a getter, a non-async method…). */
  | 'ERR_CACHE_ASIDE_DECORATOR_MISUSE'
  /** A decorated method was called with no manager registered, or under an unknown name. */
  | 'ERR_CACHE_ASIDE_NO_MANAGER'
  /** The Redis client given is not one the library accepts. */
  | 'ERR_CACHE_ASIDE_UNSUPPORTED_CLIENT'
  /** An optional package the chosen feature needs is not installed. */
  | 'ERR_CACHE_ASIDE_MISSING_PEER';

export const CONFIGURATION_ERROR_PREFIX = '[cache-aside]';

/** Adds the library's prefix once, so that every message starts with it. */
export function prefixed(message: string): string {
  return message.startsWith(CONFIGURATION_ERROR_PREFIX)
    ? message
    : `${CONFIGURATION_ERROR_PREFIX} ${message}`;
}
