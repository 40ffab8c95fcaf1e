/**
 * A Redis error reply (OOM, WRONGTYPE, NOSCRIPT, a script error) proves the server answered;
 * ioredis raises these as `ReplyError`. Everything else (closed connection, retries exhausted,
 * a deadline) means the server could not be reached.
 */
export function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}
