import type { Invalidation } from '../../../lib/entry/invalidation';
import { InvalidationBus } from '../../../lib/l1/invalidation-bus';
import type { RedisGateway } from '../../../lib/redis/redis-gateway';
import type { Subscriber } from '../../../lib/redis/clients/client-connection';

/**
 * A gateway that loops PUBLISH back to the one subscription it opened (as Redis would, to every
 * subscriber of the channel), with switches to drop messages or refuse commands.
 */
class FakeGateway {
  /** Each subscribed channel's handler (one connection, as the bus opens). */
  handlers = new Map<string, (text: string) => void>();
  stateListener: ((up: boolean) => void) | undefined;
  published: Array<{ channel: string; text: string }> = [];
  deliver = true;
  failPublish = false;
  failSubscribe = false;
  closed = false;

  subscriber(): Subscriber {
    return {
      subscribe: async (channel, onMessage) => {
        if (this.failSubscribe) throw new Error('Connection is closed.');
        this.handlers.set(channel, onMessage);
      },
      onStateChange: (listener) => {
        this.stateListener = listener;
      },
      close: () => {
        this.closed = true;
      },
    };
  }

  async publish(channel: string, text: string): Promise<void> {
    if (this.failPublish) throw new Error('Connection is closed.');
    this.published.push({ channel, text });
    if (this.deliver) this.handlers.get(channel)?.(text);
  }

  /** A message from another instance (or application) on a channel. */
  inject(channel: string, text: string): void {
    this.handlers.get(channel)?.(text);
  }

  /** The subscriber connection closed (subscriptions are gone) or came back. */
  connection(up: boolean): void {
    if (!up) this.handlers.clear();
    this.stateListener?.(up);
  }
}

const CHANNEL = 'app:~l1';

describe('InvalidationBus', () => {
  let gateway: FakeGateway;
  let bus: InvalidationBus;
  let received: Invalidation[];
  let unreadable: number;
  let liveChanges: boolean[];

  async function start(heartbeatMs = 100): Promise<void> {
    bus = new InvalidationBus(
      gateway as unknown as RedisGateway,
      'app:',
      {
        onMessage: (m) => received.push(m),
        onUnreadable: () => unreadable++,
        onLiveChange: (live) => liveChanges.push(live),
      },
      heartbeatMs,
    );
    await jest.advanceTimersByTimeAsync(0); // the first SUBSCRIBE settles
  }

  beforeEach(() => {
    jest.useFakeTimers();
    gateway = new FakeGateway();
    received = [];
    unreadable = 0;
    liveChanges = [];
  });

  afterEach(async () => {
    await bus.close();
    jest.useRealTimers();
  });

  it('subscribes through the gateway to one channel per key prefix and goes live', async () => {
    await start();
    expect([...gateway.handlers.keys()]).toEqual([CHANNEL]);
    expect(bus.isLive).toBe(true);
    expect(liveChanges).toEqual([true]);
  });

  it('delivers other instances’ invalidations, not its own (its tier is already cleared)', async () => {
    await start();
    await bus.publish({ kind: 'keys', keys: ['app:a'] });
    expect(received).toEqual([]);
    const other = (m: Invalidation): string => JSON.stringify({ o: 'other-instance', m });
    gateway.inject(CHANNEL, other({ kind: 'keys', keys: ['app:b'] }));
    gateway.inject(CHANNEL, other({ kind: 'pattern', match: 'app:user:*' }));
    gateway.inject(CHANNEL, other({ kind: 'tags', tags: ['t'] }));
    gateway.inject('another-channel', other({ kind: 'keys', keys: ['app:c'] }));
    expect(received).toEqual([
      { kind: 'keys', keys: ['app:b'] },
      { kind: 'pattern', match: 'app:user:*' },
      { kind: 'tags', tags: ['t'] },
    ]);
  });

  it('treats a message it cannot read as "drop everything"; ignores what is not JSON', async () => {
    await start();
    gateway.inject(CHANNEL, 'not json');
    expect(unreadable).toBe(0);
    gateway.inject(CHANNEL, JSON.stringify({ o: 'x', m: { kind: 'keys', keys: [1] } }));
    gateway.inject(CHANNEL, JSON.stringify({ v: 2, whatever: true }));
    expect(unreadable).toBe(2);
    expect(received).toEqual([]);
  });

  it('reads the further globs of a pattern, bounded, and drops everything for any other shape', async () => {
    await start();
    const other = (m: object): string => JSON.stringify({ o: 'other-instance', m });
    gateway.inject(CHANNEL, other({ kind: 'pattern', match: 'app:u*', alsoMatch: ['app:~uu*'] }));
    expect(received).toEqual([{ kind: 'pattern', match: 'app:u*', alsoMatch: ['app:~uu*'] }]);
    gateway.inject(CHANNEL, other({ kind: 'pattern', match: 'a*', alsoMatch: 'a*' }));
    gateway.inject(CHANNEL, other({ kind: 'pattern', match: 'a*', alsoMatch: ['1', '2', '3'] }));
    gateway.inject(CHANNEL, other({ kind: 'pattern', match: 'a*', alsoMatch: ['*'.repeat(5000)] }));
    expect(unreadable).toBe(3);
    expect(received).toHaveLength(1);
  });

  it('goes off when its heartbeat does not come back, and on again when it does', async () => {
    await start(100);
    await jest.advanceTimersByTimeAsync(100); // beat 1 sent and heard back
    expect(bus.isLive).toBe(true);
    gateway.deliver = false; // the connection went silent without closing
    await jest.advanceTimersByTimeAsync(100); // beat 2 sent, not heard
    expect(bus.isLive).toBe(true);
    await jest.advanceTimersByTimeAsync(100); // beat 2 still missing at beat 3
    expect(bus.isLive).toBe(false);
    gateway.deliver = true;
    await jest.advanceTimersByTimeAsync(100); // beat 4 comes back
    expect(bus.isLive).toBe(true);
    expect(liveChanges).toEqual([true, false, true]);
  });

  it('goes off when a heartbeat cannot be published', async () => {
    await start(100);
    gateway.failPublish = true;
    await jest.advanceTimersByTimeAsync(100);
    expect(bus.isLive).toBe(false);
  });

  it('goes off when the connection closes and subscribes again once it is ready', async () => {
    await start();
    gateway.connection(false);
    expect(bus.isLive).toBe(false);
    gateway.connection(true);
    await jest.advanceTimersByTimeAsync(0);
    expect(bus.isLive).toBe(true);
  });

  it('stays off while SUBSCRIBE fails', async () => {
    gateway.failSubscribe = true;
    await start();
    expect(bus.isLive).toBe(false);
    expect(liveChanges).toEqual([]);
  });

  it('close() stops the heartbeat, goes off and closes its own connection', async () => {
    await start(100);
    await bus.close();
    expect(bus.isLive).toBe(false);
    expect(gateway.closed).toBe(true);
    const sent = gateway.published.length;
    await jest.advanceTimersByTimeAsync(500);
    expect(gateway.published.length).toBe(sent);
  });

  it('publish() rejects when Redis cannot take the message (the caller queues a replay)', async () => {
    await start();
    gateway.failPublish = true;
    await expect(bus.publish({ kind: 'keys', keys: ['app:a'] })).rejects.toThrow('closed');
  });
});
