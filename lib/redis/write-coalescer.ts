import type { ClientConnection, Corkable } from './clients/client-connection';

/**
 * Sends the commands a process issues in one tick of the event loop in one socket write.
 *
 * Without it, ioredis writes each command as it is sent: one `write` system call per command,
 * which at 64 calls in flight is most of a hit's CPU time (the profile in `npm run bench` puts
 * over half of it in the socket write). The first command of a tick corks the client's socket;
 * `process.nextTick` uncorks it once the promise callbacks of that tick have run, and Node
 * flushes everything buffered in one `writev`. Commands keep their order, and a call waits at most
 * until the end of the tick it was made in.
 *
 * It corks the client's own socket, so the application's commands on that client in the same
 * tick travel in the same write (a gain for them too). On a Cluster, the socket of every node
 * known at that moment is corked (a command's node is only known inside ioredis). A client that
 * batches its own writes (node-redis) or has no socket (the memory store) offers none to cork.
 * Off with `coalesceWrites: false`.
 */
export class WriteCoalescer {
  private corked: Corkable[] | undefined;
  private readonly uncork = (): void => {
    const sockets = this.corked;
    this.corked = undefined;
    if (sockets !== undefined) for (const socket of sockets) socket.uncork();
  };

  constructor(private readonly connection: ClientConnection) {}

  /** Called before each command is handed to ioredis. */
  beforeSend(): void {
    if (this.corked !== undefined) return;
    const sockets = this.connection.sockets();
    if (sockets.length === 0) return;
    for (const socket of sockets) socket.cork();
    this.corked = sockets;
    process.nextTick(this.uncork);
  }
}
