import { EventEmitter } from 'node:events';
import type Redis from 'ioredis';
import { IoRedisConnection } from '../../../lib/redis/clients/ioredis';
import { WriteCoalescer } from '../../../lib/redis/write-coalescer';

/** A socket that records cork depth the way a Node Writable counts it. */
class FakeSocket {
  depth = 0;
  corks = 0;
  uncorks = 0;
  cork(): void {
    this.depth++;
    this.corks++;
  }
  uncork(): void {
    this.depth--;
    this.uncorks++;
  }
}

/** The ioredis adapter over a stand-in client: the coalescer corks what the adapter offers. */
const over = (client: object): IoRedisConnection =>
  new IoRedisConnection(
    Object.assign(client, {
      options: {},
      getBuffer: () => null,
      set: () => null,
    }) as unknown as Redis,
  );

const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

describe('WriteCoalescer', () => {
  it('corks the socket once for all the commands of a tick and uncorks it when the tick ends', async () => {
    const socket = new FakeSocket();
    const coalescer = new WriteCoalescer(over({ stream: socket }));
    coalescer.beforeSend();
    coalescer.beforeSend();
    coalescer.beforeSend();
    expect(socket).toMatchObject({ depth: 1, corks: 1 });
    await nextTick();
    expect(socket).toMatchObject({ depth: 0, corks: 1, uncorks: 1 });
  });

  it('includes commands sent from promise callbacks of the same tick', async () => {
    const socket = new FakeSocket();
    const coalescer = new WriteCoalescer(over({ stream: socket }));
    coalescer.beforeSend();
    // Continuations of awaited replies run as microtasks, before process.nextTick's uncork.
    await Promise.resolve()
      .then(() => coalescer.beforeSend())
      .then(() => coalescer.beforeSend());
    expect(socket).toMatchObject({ depth: 1, corks: 1, uncorks: 0 });
    await nextTick();
    expect(socket.depth).toBe(0);
  });

  it('corks again in the next tick, and always the socket of the moment (ioredis replaces it on reconnect)', async () => {
    const client = { stream: new FakeSocket() };
    const first = client.stream;
    const coalescer = new WriteCoalescer(over(client));
    coalescer.beforeSend();
    client.stream = new FakeSocket();
    await nextTick();
    expect(first).toMatchObject({ depth: 0, corks: 1, uncorks: 1 });
    coalescer.beforeSend();
    expect(client.stream).toMatchObject({ depth: 1, corks: 1 });
    await nextTick();
    expect(client.stream.depth).toBe(0);
  });

  it('corks the socket of every node of a Cluster, and uncorks them all at the end of the tick', async () => {
    const sockets = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
    const cluster = {
      isCluster: true,
      nodes: (role: string) => (role === 'all' ? sockets.map((stream) => ({ stream })) : []),
    };
    const coalescer = new WriteCoalescer(over(cluster));
    coalescer.beforeSend();
    coalescer.beforeSend();
    expect(sockets.map((s) => s.depth)).toEqual([1, 1, 1]);
    await nextTick();
    expect(sockets.map((s) => [s.corks, s.uncorks, s.depth])).toEqual([
      [1, 1, 0],
      [1, 1, 0],
      [1, 1, 0],
    ]);
  });

  it('leaves a client without corkable sockets alone (a Cluster not connected yet, a mock)', async () => {
    const connecting = Object.assign(new EventEmitter(), { isCluster: true, nodes: () => [] });
    const noCork = { stream: { write: () => true } };
    const mock = new EventEmitter();
    for (const client of [connecting, noCork, mock]) {
      expect(() => new WriteCoalescer(over(client)).beforeSend()).not.toThrow();
    }
    await nextTick();
  });
});
