import fc from 'fast-check';
import { InvalidationQueue } from '../../../lib/manager/invalidation-queue';
import { newLeaseMarker, pollSchedule } from '../../../lib/manager/load-lease';
import { SingleFlight } from '../../../lib/manager/single-flight';
import { expiryOf, ttlFor } from '../../../lib/manager/ttl-policy';
import { LEASE_MARKER_PREFIX } from '../../../lib/entry/entry-format';

describe('InvalidationQueue', () => {
  it('covers pending keys, patterns and tags until replayed', async () => {
    const queue = new InvalidationQueue(100);
    queue.add({ kind: 'keys', keys: ['c:a', 'c:b'] });
    queue.add({ kind: 'pattern', match: 'c:user:*' });
    queue.add({ kind: 'tags', tags: ['t1'] });
    expect(queue.size).toBe(4);
    expect(queue.covers('c:a')).toBe(true);
    expect(queue.covers('c:user:9')).toBe(true);
    expect(queue.covers('c:other')).toBe(false);
    expect(queue.coversTags([{ tag: 't1' }])).toBe(true);
    expect(queue.coversTags([{ tag: 't2' }])).toBe(false);
    const seen: string[] = [];
    expect(await queue.replay(async (item) => seen.push(item.kind))).toBe(3);
    expect(seen).toEqual(['keys', 'pattern', 'tags']);
    expect(queue.size).toBe(0);
    expect(queue.covers('c:a')).toBe(false);
    expect(queue.covers('c:user:9')).toBe(false);
    expect(queue.coversTags([{ tag: 't1' }])).toBe(false);
  });

  it('stops at the first failure and keeps what was not replayed', async () => {
    const queue = new InvalidationQueue(100);
    queue.add({ kind: 'keys', keys: ['a'] });
    queue.add({ kind: 'keys', keys: ['b'] });
    let calls = 0;
    await expect(
      queue.replay(async () => {
        if (++calls === 2) throw new Error('still down');
      }),
    ).rejects.toThrow('still down');
    expect(queue.covers('a')).toBe(false);
    expect(queue.covers('b')).toBe(true);
  });

  it('keeps a key covered while a second invalidation of it is pending', async () => {
    const queue = new InvalidationQueue(100);
    queue.add({ kind: 'keys', keys: ['a'] });
    queue.add({ kind: 'keys', keys: ['a'] });
    let first = true;
    await expect(
      queue.replay(async () => {
        if (!first) throw new Error('down');
        first = false;
      }),
    ).rejects.toThrow();
    expect(queue.covers('a')).toBe(true);
  });

  it('drops the oldest invalidations beyond its capacity', () => {
    const queue = new InvalidationQueue(3);
    expect(queue.add({ kind: 'keys', keys: ['a', 'b'] })).toEqual([]);
    expect(queue.add({ kind: 'pattern', match: 'p*' })).toEqual([]);
    expect(queue.add({ kind: 'tags', tags: ['t'] })).toEqual([{ kind: 'keys', keys: ['a', 'b'] }]);
    expect(queue.size).toBe(2);
    expect(queue.covers('a')).toBe(false);
    expect(queue.add({ kind: 'keys', keys: ['x'] })).toEqual([]);
    expect(queue.add({ kind: 'keys', keys: ['y'] })).toEqual([{ kind: 'pattern', match: 'p*' }]);
    expect(queue.covers('pz')).toBe(false);
  });
});

describe('SingleFlight', () => {
  it('shares one load between concurrent callers and forgets it once settled', async () => {
    const flights = new SingleFlight<number>();
    let release!: (n: number) => void;
    const load = jest.fn(() => new Promise<number>((resolve) => (release = resolve)));
    const joined = jest.fn();
    const a = flights.run('k', load, joined);
    const b = flights.run('k', load, joined);
    expect(flights.size).toBe(1);
    release(5);
    expect(await Promise.all([a, b])).toEqual([5, 5]);
    expect(load).toHaveBeenCalledTimes(1);
    expect(joined).toHaveBeenCalledTimes(1);
    expect(flights.size).toBe(0);
  });

  it('rejects every waiter with the same error, and loads again afterwards', async () => {
    const flights = new SingleFlight<number>();
    const error = new Error('loader failed');
    const failing = flights.run('k', async () => {
      throw error;
    });
    const joined = flights.run('k', async () => 1);
    await expect(failing).rejects.toBe(error);
    await expect(joined).rejects.toBe(error);
    expect(flights.size).toBe(0);
    await expect(flights.run('k', async () => 2)).resolves.toBe(2);
  });

  it('lets a caller refuse a flight, which then goes on for its own callers', async () => {
    const flights = new SingleFlight<number>();
    let release!: (n: number) => void;
    const first = flights.run('k', (flight) => {
      flight.lease = 'lease-1';
      return new Promise<number>((resolve) => (release = resolve));
    });
    const accepts = jest.fn((flight: { lease?: string }) => flight.lease === 'lease-2');
    const second = flights.run('k', async () => 2, undefined, accepts);
    expect(accepts).toHaveBeenCalledWith(expect.objectContaining({ lease: 'lease-1' }));
    await expect(second).resolves.toBe(2);
    release(1);
    await expect(first).resolves.toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(flights.size).toBe(0);
  });

  it('lets later callers load afresh after forget', async () => {
    const flights = new SingleFlight<number>();
    let release!: (n: number) => void;
    const first = flights.run('k', () => new Promise<number>((resolve) => (release = resolve)));
    flights.forget('k');
    await expect(flights.run('k', async () => 2)).resolves.toBe(2);
    void flights.run('x', () => new Promise<number>(() => undefined));
    flights.forgetAll();
    expect(flights.size).toBe(0);
    release(1);
    await expect(first).resolves.toBe(1);
  });
});

describe('TTL policy', () => {
  it('only ever shortens a TTL, by at most the jitter fraction', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: 0, max: 0.9999, noNaN: true }),
        (ttl, jitter, r) => {
          const { freshUntil, px } = expiryOf(ttl, 0, jitter, () => r, 1000);
          const freshMs = freshUntil - 1000;
          expect(freshMs).toBeLessThanOrEqual(Math.max(1, ttl * 1000));
          expect(freshMs).toBeGreaterThanOrEqual(
            Math.min(Math.floor(ttl * 1000 * (1 - jitter)) - 1, Math.max(1, ttl * 1000)),
          );
          expect(px).toBe(freshMs);
        },
      ),
      { seed: 20261126, numRuns: 300 },
    );
  });

  it('adds grace to the physical expiry only, and handles Infinity', () => {
    expect(expiryOf(10, 5, 0, () => 0, 0)).toEqual({ freshUntil: 10_000, px: 15_000 });
    expect(expiryOf(Infinity, 5, 0.1, () => 0.5, 0)).toEqual({ freshUntil: Infinity, px: 0 });
    expect(expiryOf(10, 0, 0.5, () => 7, 0)).toEqual({ freshUntil: 5_000, px: 5_000 }); // a random above 1 is clamped
  });

  it('resolves static and computed TTLs; a broken computation means "do not store"', () => {
    expect(ttlFor(undefined, 60, 'v')).toBe(60);
    expect(ttlFor(5, 60, 'v')).toBe(5);
    expect(ttlFor((v: string) => v.length, 60, 'abc')).toBe(3);
    expect(ttlFor(() => NaN, 60, 'v')).toBe(0);
    expect(ttlFor(() => 'x' as unknown as number, 60, 'v')).toBe(0);
  });
});

describe('load lease', () => {
  it('makes distinct markers with the lease prefix', () => {
    const a = newLeaseMarker();
    expect(a.startsWith(LEASE_MARKER_PREFIX)).toBe(true);
    expect(a).not.toBe(newLeaseMarker());
  });

  it('polls with growing, capped delays until the deadline', async () => {
    const start = Date.now();
    let polls = 0;
    for await (const _ of pollSchedule(start + 120)) polls++;
    expect(polls).toBeGreaterThanOrEqual(4);
    expect(polls).toBeLessThan(12);
    expect(Date.now() - start).toBeGreaterThanOrEqual(115);
  });
});
