import { createServer, Socket, type Server } from 'node:net';

/**
 * A TCP relay between one worker's client and one redis-server node, with the faults the
 * spec/support proxy lacks. `stall` HOLDS the bytes in both directions and delivers them, in
 * order, when it ends: a command the client gave up on still reaches Redis late, which is what
 * exposes late writes and orphan leases. `reset` destroys every relayed connection with a TCP RST;
 * `refuse` also turns new connections away until `restore`.
 */
export interface FaultRelay {
  readonly port: number;
  stall(): void;
  /** Ends a stall: delivers what was held, in order, and relays again. */
  release(): void;
  reset(): void;
  refuse(): void;
  restore(): void;
  close(): Promise<void>;
}

/** One relayed connection: bytes held while stalled, per direction. */
interface Pair {
  client: Socket;
  upstream: Socket;
  toUpstream: Buffer[];
  toClient: Buffer[];
  connected: boolean;
}

export async function startFaultRelay(targetPort: number): Promise<FaultRelay> {
  const pairs = new Set<Pair>();
  let stalled = false;
  let refusing = false;

  const flush = (pair: Pair): void => {
    if (stalled) return;
    if (pair.connected && !pair.upstream.destroyed)
      for (const chunk of pair.toUpstream.splice(0)) pair.upstream.write(chunk);
    if (!pair.client.destroyed)
      for (const chunk of pair.toClient.splice(0)) pair.client.write(chunk);
  };

  const server: Server = createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = new Socket();
    const pair: Pair = { client, upstream, toUpstream: [], toClient: [], connected: false };
    pairs.add(pair);
    const drop = (): void => {
      if (!client.destroyed) client.destroy();
      if (!upstream.destroyed) upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk: Buffer) => {
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
    server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const resetAll = (): void => {
    for (const pair of [...pairs]) {
      if (!pair.client.destroyed) pair.client.resetAndDestroy();
      if (!pair.upstream.destroyed) pair.upstream.resetAndDestroy();
    }
    pairs.clear();
  };

  return {
    port,
    stall() {
      stalled = true;
    },
    release() {
      stalled = false;
      for (const pair of pairs) flush(pair);
    },
    reset() {
      resetAll();
    },
    refuse() {
      refusing = true;
      resetAll();
    },
    restore() {
      refusing = false;
    },
    close() {
      refusing = true;
      stalled = false;
      resetAll();
      return new Promise((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}
