import { Cluster, Command, Redis } from 'ioredis';
import type { RedisClient } from './redis-client';

/** Options of a GET whose reply stays bytes (what `getBuffer` passes). */
const BYTES = Object.freeze({ replyEncoding: null });

/** ioredis's `Command`, with the two members a deadline needs. */
type DirectCommand = Command & { isResolved: boolean; reject: (error: Error) => void };

/**
 * The GET of a hit, sent as an ioredis `Command` built here, so that the command itself can be
 * the deadline queue's waiter: the caller awaits ioredis's own promise, and the queue rejects the
 * command when its deadline passes. That saves the wrapper promise, its two callbacks and a
 * microtask per hit.
 *
 * Any rejection marks the command resolved, so the deadline no longer applies to it, and goes to
 * `onRejected` first (the runner tells the breaker what it means; the deadline's own rejection is
 * counted by the deadline queue). The runner sends this way only while the circuit breaker has
 * no failure on record, when an answer has nothing to tell it. One difference from the wrapped
 * path remains: a GET sent then and answered after a failure was recorded does not reset the
 * count; the next command (sent the wrapped way) does.
 */
export function sendDirectGet(
  client: RedisClient,
  key: string,
  onRejected: (error: Error) => void,
): DirectCommand {
  const command = new Command('get', [key], BYTES) as DirectCommand;
  const rejectCaller = command.reject;
  command.reject = (error: Error) => {
    if (!command.isResolved) {
      command.isResolved = true;
      onRejected(error);
    }
    rejectCaller(error);
  };
  void client.sendCommand(command);
  return command;
}

/**
 * True when GETs can be sent directly: the client was made by the ioredis this package resolves
 * (its peer, one copy in an app), so the `Command` built here is its own; it asks neither for
 * friendly error stacks (which `getBuffer` would capture) nor for auto-pipelining (which holds
 * other commands to the next turn of the loop, so a GET sent directly would overtake a write
 * sent before it); and `Command` still has the members relied on. Any other client (another
 * copy or major of ioredis, ioredis-mock, a wrapper) takes the wrapped path: the same behaviour
 * at the cost of one more promise per hit.
 */
export function canSendDirect(client: RedisClient): boolean {
  if (!(client instanceof Redis) && !(client instanceof Cluster)) return false;
  const options = client.options as {
    showFriendlyErrorStack?: boolean;
    enableAutoPipelining?: boolean;
  };
  if (options.showFriendlyErrorStack || options.enableAutoPipelining) return false;
  const probe = new Command('get', ['probe'], BYTES) as Partial<DirectCommand>;
  return (
    probe.isResolved === false &&
    typeof probe.reject === 'function' &&
    probe.promise instanceof Promise
  );
}
