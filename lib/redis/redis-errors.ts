/**
 * A Redis error reply (OOM, WRONGTYPE, NOSCRIPT, a script error) proves the server answered;
 * ioredis and iovalkey raise these as `ReplyError` (by name), node-redis as an `ErrorReply`
 * (by class, whose name stays 'Error'). Everything else (closed connection, retries exhausted,
 * a deadline) means the server could not be reached.
 */
export function isReplyError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'ReplyError') return true;
  for (let proto: unknown = Object.getPrototypeOf(error); proto !== null;) {
    if ((proto as { constructor?: { name?: string } }).constructor?.name === 'ErrorReply')
      return true;
    proto = Object.getPrototypeOf(proto);
  }
  return false;
}
