import { createServer, Socket, type Server } from 'node:net';

/**
 * A TCP relay in front of a redis-server, for "Redis is unreachable but keeps its data": `cut()`
 * drops every relayed connection and turns new ones away, `restore()` relays again. Unlike
 * SIGSTOP, nothing the client sends while cut ever reaches the server, so a later effect on the
 * data can only come from what the client sends after `restore()`.
 *
 * `stall()` is the other fault: it HOLDS the bytes in both directions, and `release()` delivers
 * them in order. A command the client gave up on meanwhile still reaches Redis, late — what a
 * congested network or a paused VM does, and what exposes late writes and orphan leases. Only the
 * connections of this proxy stall: a client connected directly (another process) is unaffected.
 */
export interface FaultProxy {
  readonly port: number;
  readonly url: string;
  cut(): void;
  restore(): void;
  stall(): void;
  /**
   * Stalls from the first chunk the client sends that contains `text` (that chunk is held too):
   * a stall that catches one chosen command, say a lease, after the reads before it went through.
   */
  stallAt(text: string): void;
  /** Ends a stall: delivers what was held, in order, and relays again. */
  release(): void;
  close(): Promise<void>;
}

/** One relayed connection: the bytes held while stalled, per direction. */
interface Pair {
  client: Socket;
  upstream: Socket;
  toUpstream: Buffer[];
  toClient: Buffer[];
  connected: boolean;
}

export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  let open = true;
  let stalled = false;
  let stallTrigger: string | undefined;
  const flush = (pair: Pair): void => {
    if (stalled) return;
    if (pair.connected && !pair.upstream.destroyed)
      for (const chunk of pair.toUpstream.splice(0)) pair.upstream.write(chunk);
    if (!pair.client.destroyed)
      for (const chunk of pair.toClient.splice(0)) pair.client.write(chunk);
  };
  const server: Server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    const pair: Pair = { client, upstream, toUpstream: [], toClient: [], connected: false };
    pairs.add(pair);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk: Buffer) => {
      if (stallTrigger !== undefined && chunk.includes(stallTrigger)) {
        stallTrigger = undefined;
        stalled = true;
      }
      pair.toUpstream.push(chunk);
      flush(pair);
    });
    upstream.on('data', (chunk: Buffer) => {
      pair.toClient.push(chunk);
      flush(pair);
    });
    upstream.connect(targetPort, '127.0.0.1', () => {
      pair.connected = true;
      flush(pair);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const dropAll = (): void => {
    for (const { client, upstream } of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    cut() {
      open = false;
      dropAll();
    },
    restore() {
      open = true;
    },
    stall() {
      stalled = true;
    },
    stallAt(text: string) {
      stallTrigger = text;
    },
    release() {
      stalled = false;
      stallTrigger = undefined;
      for (const pair of pairs) flush(pair);
    },
    close() {
      open = false;
      stalled = false;
      dropAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
