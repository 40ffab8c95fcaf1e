import { MemoryStore } from '../../../lib';
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
