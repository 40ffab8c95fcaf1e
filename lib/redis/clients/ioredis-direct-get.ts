import type { DirectGet } from './client-connection';

/** Options of a GET whose reply stays bytes (what `getBuffer` passes). */
const BYTES = Object.freeze({ replyEncoding: null });

/** The members of an ioredis `Command` a deadline needs. */
interface WaiterCommand {
  isResolved: boolean;
  reject: (error: Error) => void;
  readonly promise: Promise<unknown>;
}

type CommandClass = new (name: string, args: string[], options: object) => WaiterCommand;

/** The part of an ioredis client (or Cluster) a direct GET uses. */
export interface DirectGetClient {
  readonly options?: object;
  sendCommand(command: never): unknown;
}

/**
 * The GET of a hit, sent as an ioredis `Command` built here, so that the command itself can be
 * the deadline queue's waiter: the caller awaits ioredis's own promise, and the queue rejects the
 * command when its deadline passes. That saves the wrapper promise, its two callbacks and a
 * microtask per hit.
 *
 * Any rejection marks the command resolved, so the deadline no longer applies to it, and goes to
 * `onRejected` first (the runner tells the breaker what it means; the deadline's own rejection is
 * counted by the deadline queue). The runner sends this way only while the circuit breaker has
 * no failure on record, when an answer has nothing to tell it.
 *
 * The `Command` class is the client's own (`Redis.Command`, reached through the client's
 * constructor, or a Cluster node's), so no ioredis package is imported, and a client of another
 * copy or major of ioredis, or of iovalkey, gets commands of its own kind. Returns undefined when
 * the client asks for friendly error stacks (which `getBuffer` would capture) or auto-pipelining
 * (which holds other commands to the next turn of the loop, so a GET sent directly would overtake
 * a write sent before it), or when its `Command` lacks the members relied on.
 */
export function directGetFor(
  client: DirectGetClient,
  commandClass: () => unknown,
  nodesMayAppear: boolean,
): DirectGet | undefined {
  const options = (client.options ?? {}) as {
    showFriendlyErrorStack?: boolean;
    enableAutoPipelining?: boolean;
  };
  if (options.showFriendlyErrorStack || options.enableAutoPipelining) return undefined;
  let Command: CommandClass | undefined;
  const resolve = (): CommandClass | undefined => {
    if (Command !== undefined) return Command;
    const candidate = commandClass();
    if (typeof candidate !== 'function') return undefined;
    const probe = new (candidate as CommandClass)(
      'get',
      ['probe'],
      BYTES,
    ) as Partial<WaiterCommand>;
    if (
      probe.isResolved === false &&
      typeof probe.reject === 'function' &&
      probe.promise instanceof Promise
    )
      Command = candidate as CommandClass;
    return Command;
  };
  // Known now and unfit, or absent from a client (a mock): never direct. Unknown yet (a Cluster
  // before its first node): tried again at each GET until a node is there.
  if (commandClass() === undefined ? !nodesMayAppear : resolve() === undefined) return undefined;
  return (key, onRejected) => {
    const Made = resolve();
    if (Made === undefined) return undefined;
    const command = new Made('get', [key], BYTES);
    const rejectCaller = command.reject;
    command.reject = (error: Error) => {
      if (!command.isResolved) {
        command.isResolved = true;
        onRejected(error);
      }
      rejectCaller(error);
    };
    void client.sendCommand(command as never);
    return command;
  };
}
