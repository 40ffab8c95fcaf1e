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
 * microtask per hit: in `npm run bench` the wrapper cost about a tenth of hit throughput.
 *
 * A rejection (an error reply, a closed connection) marks the command resolved, so its deadline
 * no longer counts it as a timeout: only a deadline that passes counts as a failure here. The
 * runner sends this way only while the circuit breaker has seen no failure; with failures on
 * record it takes the wrapped path, which tells the breaker every outcome.
 */
export function sendDirectGet(client: RedisClient, key: string): DirectCommand {
  const command = new Command('get', [key], BYTES) as DirectCommand;
  const rejectCaller = command.reject;
  command.reject = (error: Error) => {
    command.isResolved = true;
    rejectCaller(error);
  };
  void client.sendCommand(command);
  return command;
}

/**
 * True when GETs can be sent directly: the client was made by the ioredis this package resolves
 * (its peer, one copy in an app), so the `Command` built here is its own; it does not ask for
 * friendly error stacks (which `getBuffer` would capture); and `Command` still has the members
 * relied on. Any other client (another copy or major of ioredis, ioredis-mock, a wrapper) takes
 * the wrapped path: the same behaviour at the cost of one more promise per hit.
 */
export function canSendDirect(client: RedisClient): boolean {
  if (!(client instanceof Redis) && !(client instanceof Cluster)) return false;
  if ((client.options as { showFriendlyErrorStack?: boolean }).showFriendlyErrorStack) return false;
  const probe = new Command('get', ['probe'], BYTES) as Partial<DirectCommand>;
  return probe.isResolved === false && typeof probe.reject === 'function' && probe.promise instanceof Promise;
}
