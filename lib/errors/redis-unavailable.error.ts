/** Raised by the gateway without sending anything: the client is not ready or the circuit is open. */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}
