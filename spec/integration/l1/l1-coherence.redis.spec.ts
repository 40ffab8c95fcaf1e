import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib';
import {
  adminRedisUrl,
  newTestClient,
  ready,
  testRedisUrl,
  uniquePrefix,
} from '../../support/test-redis';

/** Polls a condition, bounded in count and time. */
async function eventually(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`not within 2 s: ${what}`);
}

describe('the in-process tier (l1)', () => {
  let clientA: Redis;
  let clientB: Redis;
  let a: CacheAsideManager;
  let b: CacheAsideManager;
  let prefix: string;

  beforeAll(async () => {
    // With friendly error stacks ioredis's getBuffer is the manager's GET (no direct command):
    // the read held below is held for sure (through the direct path, it raced b's write).
    clientA = newTestClient(testRedisUrl(), { showFriendlyErrorStack: true });
    clientB = newTestClient();
    await Promise.all([ready(clientA), ready(clientB)]);
  });

  beforeEach(async () => {
    prefix = uniquePrefix('l1');
    a = new CacheAsideManager({ redis: clientA, keyPrefix: prefix, l1: { maxEntries: 100 } });
    b = new CacheAsideManager({ redis: clientB, keyPrefix: prefix, l1: { maxEntries: 100 } });
    // Both subscriptions are live once a set on one instance reaches the other.
    await eventually(
      () =>
        (a as unknown as { l1: { bus: { isLive: boolean } } }).l1.bus.isLive &&
        (b as unknown as { l1: { bus: { isLive: boolean } } }).l1.bus.isLive,
      'subscriptions live',
    );
  });

  afterEach(async () => {
    await a.close();
    await b.close();
  });

  afterAll(async () => {
    await clientA.quit();
    await clientB.quit();
  });

  it('answers a repeated read in process, without Redis', async () => {
    await a.get('k', async () => 'v');
    await a.settle();
    await clientA.del(`${prefix}k`); // behind the cache's back: only the local tier still has it
    expect(await a.get('k', async () => 'reloaded')).toBe('v');
    expect(a.stats()).toMatchObject({ l1Hits: 1, l1Entries: 1 });
  });

  it.each([
    ['invalidate', (m: CacheAsideManager) => m.invalidate('user:1')],
    ['invalidatePattern', (m: CacheAsideManager) => m.invalidatePattern('user:*')],
    ['invalidateTags', (m: CacheAsideManager) => m.invalidateTags(['users'])],
    ['set', (m: CacheAsideManager) => m.set('user:1', 'written by b', { tags: ['users'] })],
  ])("drops every instance's copy when another instance calls %s", async (_, change) => {
    const read = (m: CacheAsideManager, value: string) =>
      m.get('user:1', async () => value, { tags: ['users'] });
    await read(a, 'v1');
    await a.settle();
    expect(await read(a, 'unused')).toBe('v1');
    expect(a.stats().l1Entries).toBe(1);
    await change(b);
    await eventually(() => a.stats().l1Entries === 0, "a's copy dropped");
    expect(await read(a, 'v2')).not.toBe('v1');
  });

  it('switches itself off and empties when the subscription drops, and comes back', async () => {
    await a.get('k', async () => 'v');
    await a.settle();
    expect(a.stats().l1Entries).toBe(1);
    // CLIENT KILL is @dangerous: sent as the server's admin when the suite runs as an ACL user.
    const admin = newTestClient(adminRedisUrl());
    try {
      await admin.client('KILL', 'TYPE', 'pubsub');
    } finally {
      admin.disconnect();
    }
    await eventually(() => a.stats().l1Entries === 0, 'tier emptied when its subscription dropped');
    await eventually(async () => {
      await a.get('k', async () => 'v');
      return a.stats().l1Entries === 1;
    }, 'tier in use again after resubscribing');
  });

  it('does not keep a value read while an invalidation arrived', async () => {
    await b.set('k', 'v1');
    const patched = clientA as unknown as Record<'getBuffer' | 'setBuffer', unknown>;
    const original = { getBuffer: patched.getBuffer, setBuffer: patched.setBuffer };
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let answered!: () => void;
    const readAnswered = new Promise<void>((resolve) => (answered = resolve));
    // Hold a's read reply (a GET, or a leasing read's SET NX GET) until another instance's
    // write has been announced.
    for (const name of ['getBuffer', 'setBuffer'] as const) {
      const send = (original[name] as (...args: unknown[]) => Promise<unknown>).bind(clientA);
      patched[name] = async (...args: unknown[]) => {
        const value = await send(...args);
        answered();
        await gate;
        return value;
      };
    }
    try {
      const before = (a as unknown as { l1: { epoch: number } }).l1.epoch;
      const read = a.get('k', async () => 'unused');
      // b writes only once Redis has answered a's read: the two go over two connections, and
      // nothing else orders them (under load, b's SET reached Redis first: v2 for v1).
      await readAnswered;
      await b.set('k', 'v2');
      await eventually(
        () => (a as unknown as { l1: { epoch: number } }).l1.epoch > before,
        'write announced to a',
      );
      release();
      expect(await read).toBe('v1'); // read before the write: fine to return once
      expect(a.stats().l1Entries).toBe(0); // but never kept, or it would outlive the announcement
    } finally {
      Object.assign(patched, original);
    }
    expect(await a.get('k', async () => 'unused')).toBe('v2');
  });

  it('switches itself off when its subscription goes silent without closing, and back on when it delivers again', async () => {
    const quick = new CacheAsideManager({
      redis: clientA,
      keyPrefix: prefix,
      l1: { maxEntries: 10, heartbeatMs: 50 },
    });
    const bus = (
      quick as unknown as {
        l1: {
          bus: {
            isLive: boolean;
            subscriber: {
              connection: {
                unsubscribe(c: string): Promise<unknown>;
                subscribe(c: string): Promise<unknown>;
              };
            };
          };
        };
      }
    ).l1.bus;
    try {
      await eventually(() => bus.isLive, 'live');
      await quick.get('quiet', async () => 'v');
      await quick.settle();
      expect(quick.stats().l1Entries).toBe(1);
      // Behind the bus's back: the connection stays open but no message arrives any more.
      await bus.subscriber.connection.unsubscribe(`${prefix}~l1`);
      await eventually(
        () => !bus.isLive && quick.stats().l1Entries === 0,
        'tier off and emptied by the missing heartbeat',
      );
      await bus.subscriber.connection.subscribe(`${prefix}~l1`);
      await eventually(() => bus.isLive, 'live again once heartbeats come back');
    } finally {
      await quick.close();
    }
  });

  it('does not keep a value loaded while one of its tags was invalidated', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const load = a.get(
      'tagged-slow',
      async () => {
        await gate;
        return 'old';
      },
      { tags: ['t'] },
    );
    await new Promise((resolve) => setTimeout(resolve, 20)); // the load holds its lease and tag stamps
    await b.invalidateTags(['t']);
    await eventually(
      () => (a as unknown as { l1: { epoch: number } }).l1.epoch > 0,
      'tag invalidation heard by a',
    );
    release();
    expect(await load).toBe('old');
    await a.settle();
    expect(a.stats().l1Entries).toBe(0);
    expect(await a.get('tagged-slow', async () => 'new', { tags: ['t'] })).toBe('new');
  });

  it('queues an invalidation when a set cannot tell the others, so their copies do not outlive it', async () => {
    await b.get('k', async () => 'old');
    await b.settle();
    expect(b.stats().l1Entries).toBe(1);
    const bus = (a as unknown as { l1: { bus: { publish: (m: unknown) => Promise<void> } } }).l1
      .bus;
    const publish = bus.publish.bind(bus);
    bus.publish = async () => Promise.reject(new Error('Connection is closed.'));
    try {
      await a.set('k', 'new');
      expect(a.stats().pendingInvalidations).toBe(1);
    } finally {
      bus.publish = publish;
    }
    await (a as unknown as { invalidator: { replay(): Promise<void> } }).invalidator.replay();
    expect(a.stats().pendingInvalidations).toBe(0);
    await eventually(() => b.stats().l1Entries === 0, "b's copy dropped by the replay");
    expect(await b.get('k', async () => 'reloaded')).toBe('reloaded');
  });

  it('never throws for a pattern Redis accepts, such as a reversed range', async () => {
    await a.get('m', async () => 'v');
    await a.settle();
    await expect(b.invalidatePattern('[z-a]*')).resolves.toBe(1);
    await eventually(() => a.stats().l1Entries === 0, "a's copy dropped");
  });

  it("drops every instance's copy when the TTL of an entry changes", async () => {
    await a.get('ttl', async () => 'v');
    await a.settle();
    expect(a.stats().l1Entries).toBe(1);
    expect(await b.setTtl('ttl', 5)).toBe(true);
    await eventually(() => a.stats().l1Entries === 0, "a's copy dropped");
  });

  it('empties the tier when a message it cannot read arrives on its channel', async () => {
    await a.get('k2', async () => 'v');
    await a.settle();
    expect(a.stats().l1Entries).toBe(1);
    await clientB.publish(
      `${prefix}~l1`,
      JSON.stringify({ o: 'someone', m: { kind: 'future-kind' } }),
    );
    await eventually(() => a.stats().l1Entries === 0, 'tier emptied');
  });

  it('closes the subscriber connection it created, never the client it was given', async () => {
    await a.close();
    expect(await clientA.ping()).toBe('PONG');
  });

  it('refuses bad bounds at construction', () => {
    expect(() => new CacheAsideManager({ redis: clientA, l1: { maxEntries: 0 } })).toThrow(
      /l1.maxEntries/,
    );
    expect(
      () => new CacheAsideManager({ redis: clientA, l1: { maxEntries: 1, maxBytes: -1 } }),
    ).toThrow(/l1.maxBytes/);
    expect(() => new CacheAsideManager({ redis: clientA, l1: { maxEntries: 1, ttl: 0 } })).toThrow(
      /l1.ttl/,
    );
    expect(() => new CacheAsideManager({ redis: clientA, l1: 5 as never })).toThrow(/l1 must be/);
    expect(
      () => new CacheAsideManager({ redis: clientA, l1: { maxEntries: 1, heartbeatMs: 0 } }),
    ).toThrow(/l1.heartbeatMs/);
  });
});
