import { createServer, Socket, type Server } from 'node:net';
import { startFaultRelay, type FaultRelay } from '../../../soak/fault-relay';

/** A loopback echo server stands in for Redis: what the relay delivers comes straight back. */
describe('the soak fault relay', () => {
  let echo: Server;
  let relay: FaultRelay;
  let client: Socket;
  let received: string;

  beforeEach(async () => {
    echo = createServer((socket) => {
      // The relay resets its upstream connections on purpose.
      socket.on('error', () => undefined);
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const address = echo.address();
    relay = await startFaultRelay(typeof address === 'object' && address ? address.port : 0);
    received = '';
    client = new Socket();
    client.on('data', (chunk: Buffer) => (received += chunk.toString()));
    client.on('error', () => undefined);
    await new Promise<void>((resolve) => client.connect(relay.port, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    client.destroy();
    await relay.close();
    await new Promise((resolve) => echo.close(resolve));
  });

  const until = async (probe: () => boolean, ms = 2000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!probe()) {
      if (Date.now() > deadline) throw new Error('condition not reached in time');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it('relays bytes both ways', async () => {
    client.write('PING');
    await until(() => received === 'PING');
  });

  it('holds bytes during a stall and delivers them, in order, when it ends', async () => {
    relay.stall();
    client.write('one,');
    client.write('two');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received).toBe('');
    relay.release();
    await until(() => received === 'one,two');
  });

  it('resets connections, and refuses new ones until restored', async () => {
    const closed = new Promise((resolve) => client.once('close', resolve));
    relay.refuse();
    await closed;
    const refused = new Socket();
    refused.on('error', () => undefined);
    const ended = new Promise((resolve) => refused.once('close', resolve));
    refused.connect(relay.port, '127.0.0.1');
    await ended;
    relay.restore();
    const again = new Socket();
    let echoed = '';
    again.on('data', (chunk: Buffer) => (echoed += chunk.toString()));
    await new Promise<void>((resolve) => again.connect(relay.port, '127.0.0.1', resolve));
    again.write('back');
    await until(() => echoed === 'back');
    again.destroy();
  });
});
