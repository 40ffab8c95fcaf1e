import { MemoryStore } from '../../../lib';
import { MemoryConnection } from '../../../lib/redis/clients/memory';
import { createInMemoryManager } from '../../../lib/testing';

describe('MemoryStore', () => {
  let now = 1000;
  let store: MemoryStore;

  beforeEach(() => {
    now = 1000;
    store = new MemoryStore(() => now);
  });

  afterEach(() => store.close());

  it('expires keys by PX, reports PTTL as Redis does, and PERSIST removes the expiry', () => {
    expect(store.set('k', 'v', 500)).toBe(true);
    expect(store.pttl('k')).toBe(500);
    expect(store.pttl('absent')).toBe(-2);
    now += 499;
    expect(store.get('k')?.toString()).toBe('v');
    now += 1;
    expect(store.get('k')).toBeNull();
    store.set('p', 'v', 100);
    expect(store.persist('p')).toBe(1);
    expect(store.pttl('p')).toBe(-1);
  });

  it('honours NX, keeps bytes as they are, and UNLINK counts what existed', () => {
    const bytes = Buffer.from([0x00, 0xff, 0x80]);
    expect(store.set('k', bytes, 0, true)).toBe(true);
    expect(store.set('k', 'other', 0, true)).toBe(false);
    expect(store.get('k')).toEqual(bytes);
    expect(store.unlink(['k', 'absent'])).toBe(1);
  });

  it('matches SCAN globs as Redis does (*, ?, classes, escapes)', () => {
    for (const key of ['user:1', 'user:22', 'user:*', 'users', 'a?b', 'axb']) store.set(key, 'v');
    expect(store.keysMatching('user:?').sort()).toEqual(['user:*', 'user:1']);
    expect(store.keysMatching('user:\\*')).toEqual(['user:*']);
    expect(store.keysMatching('user:[0-9]*').sort()).toEqual(['user:1', 'user:22']);
    expect(store.keysMatching('a\\?b')).toEqual(['a?b']);
    expect(store.keysMatching('*').length).toBe(6);
  });

  describe('scan()', () => {
    /** Every step of a whole SCAN (bounded: at most `maxSteps`), with `between` run after each. */
    function scanAll(
      match: string,
      count: number,
      between: (step: number) => void = () => undefined,
      maxSteps = 1000,
    ): { keys: string[]; steps: number; largestPage: number } {
      const keys: string[] = [];
      let cursor = '0';
      let largestPage = 0;
      for (let step = 1; step <= maxSteps; step++) {
        const [next, page] = store.scan(cursor, match, count);
        keys.push(...page);
        largestPage = Math.max(largestPage, page.length);
        cursor = next;
        if (cursor === '0') return { keys, steps: step, largestPage };
        between(step);
      }
      throw new Error(`SCAN did not end within ${maxSteps} steps`);
    }

    it('answers in pages of at most COUNT keys, and the pages together hold every key once', () => {
      for (let i = 0; i < 25; i++) store.set(`k${i}`, 'v');
      const { keys, steps, largestPage } = scanAll('*', 10);
      expect(largestPage).toBeLessThanOrEqual(10);
      expect(steps).toBe(3);
      expect(keys.sort()).toEqual(Array.from({ length: 25 }, (_, i) => `k${i}`).sort());
    });

    it('filters each page by MATCH after counting the keys it looked at, as Redis does', () => {
      for (let i = 0; i < 20; i++) store.set(i % 2 === 0 ? `even:${i}` : `odd:${i}`, 'v');
      const { keys, steps } = scanAll('even:*', 5);
      expect(steps).toBe(4);
      expect(keys).toHaveLength(10);
      expect(keys.every((key) => key.startsWith('even:'))).toBe(true);
    });

    it('returns every key present for the whole scan while keys are added, overwritten and removed', () => {
      for (let i = 0; i < 30; i++) store.set(`stay:${i}`, 'v');
      for (let i = 0; i < 30; i++) store.set(`gone:${i}`, 'v');
      const { keys } = scanAll('*', 4, (step) => {
        store.unlink([`gone:${step}`, `gone:${29 - step}`]);
        store.set(`new:${step}`, 'v');
        store.set(`stay:${step}`, `overwritten ${step}`);
        // stay:20..29 removed and written again: each may be returned twice, as Redis allows.
        if (step <= 10) {
          store.unlink([`stay:${30 - step}`]);
          store.set(`stay:${30 - step}`, 'back');
        }
      });
      for (let i = 0; i < 30; i++) expect(keys).toContain(`stay:${i}`);
      // Present the whole time (overwritten or not): returned exactly once.
      const stayedPut = keys.filter((key) => /^stay:1?[0-9]$/.test(key));
      expect(stayedPut.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `stay:${i}`).sort());
    });

    it('leaves expired keys out and ends on an empty store at once', () => {
      expect(store.scan('0', '*', 10)).toEqual(['0', []]);
      store.set('short', 'v', 10);
      store.set('long', 'v');
      now += 10;
      expect(scanAll('*', 10).keys).toEqual(['long']);
    });

    it('pages the same way behind the client interface, and rejects a bad cursor there', async () => {
      for (let i = 0; i < 5; i++) store.set(`k${i}`, 'v');
      const [node] = await new MemoryConnection(store).masters();
      const [cursor, page] = await node.scan('0', '*', 2);
      expect(page).toEqual(['k0', 'k1']);
      expect((await node.scan(cursor, '*', 10))[1]).toEqual(['k2', 'k3', 'k4']);
      await expect(node.scan('x', '*', 2)).rejects.toThrow(/invalid cursor/);
    });

    it('refuses a cursor it never gave and a COUNT below 1', () => {
      expect(() => store.scan('not a cursor', '*', 10)).toThrow(/invalid cursor/);
      expect(() => store.scan('-1', '*', 10)).toThrow(/invalid cursor/);
      expect(() => store.scan('0', '*', 0)).toThrow(RangeError);
    });
  });

  it('reads and overwrites byte ranges (GETRANGE, SETRANGE)', () => {
    store.set('k', Buffer.from('abcdef'));
    expect(store.getRange('k', 1, 3).toString()).toBe('bcd');
    expect(store.getRange('k', -2, -1).toString()).toBe('ef');
    store.setRange('k', 2, Buffer.from('XY'));
    expect(store.get('k')?.toString()).toBe('abXYef');
  });

  it('delivers published messages to subscribers on a later turn', async () => {
    const received: string[] = [];
    const stop = store.subscribe('ch', (message) => received.push(message));
    expect(store.publish('ch', 'hello')).toBe(1);
    expect(received).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(received).toEqual(['hello']);
    stop();
    expect(store.publish('ch', 'gone')).toBe(0);
  });
});

/**
 * What ioredis-mock's Lua emulation got wrong (taking over a stale entry; setTtl on an entry of
 * ours answered false), on the memory store, whose scripts are done natively.
 */
describe('CacheAsideManager on the memory store', () => {
  it('invalidates by pattern in SCAN pages of scanCount keys', async () => {
    const store = new MemoryStore();
    const scan = jest.spyOn(store, 'scan');
    const cache = createInMemoryManager({ redis: store, keyPrefix: 'p:', scanCount: 7 });
    await Promise.all(Array.from({ length: 40 }, (_, i) => cache.set(`user:${i}`, i)));
    await cache.set('order:1', 1);
    expect(await cache.invalidatePattern('user:*')).toBe(40);
    expect(scan.mock.calls.length).toBeGreaterThanOrEqual(6);
    expect(scan.mock.calls.every(([, , count]) => count === 7)).toBe(true);
    expect(store.get('p:order:1')).not.toBeNull();
    await cache.close();
    store.close();
  });

  it('changes the TTL of an entry of its own (setTtl answers true)', async () => {
    const cache = createInMemoryManager({ keyPrefix: 'mem:', ttlJitter: 0 });
    await cache.get('k', async () => 'v', { ttl: 60 });
    await cache.settle();
    expect(await cache.setTtl('k', 5)).toBe(true);
    expect(await cache.getTtl('k')).toBe(5);
    await cache.close();
  });

  it('takes a stale entry over, reloads once and stores the new value', async () => {
    const cache = createInMemoryManager({ keyPrefix: 'mem:', ttlJitter: 0 });
    await cache.get('k', async () => 'old', { ttl: 0.05, grace: 60 });
    await cache.settle();
    await new Promise((resolve) => setTimeout(resolve, 80));
    const loader = jest.fn(async () => 'new');
    const first = await cache.get('k', loader, { ttl: 60, grace: 60 });
    expect(['old', 'new']).toContain(first); // served stale or fresh, as the grace rules allow
    await cache.settle();
    expect(await cache.get('k', loader, { ttl: 60 })).toBe('new');
    expect(loader).toHaveBeenCalledTimes(1);
    expect(cache.stats().errors).toBe(0);
    await cache.close();
  });
});
