import { MemoryStore } from '../../../lib';
import { MemoryConnection } from '../../../lib/redis/clients/memory';
import { TAKE_LEASE_OR_UNEXPIRING_MARKER } from '../../../lib/redis/scripts';

/**
 * The lease take-over of a key found leased (issue #11, finding 6), done natively by the memory
 * store as the Lua script does it in Redis: an expiring lease is never taken, one with no expiry
 * (not a manager's) is, and an absent key is leased as `SET NX` would.
 */
describe('TAKE_LEASE_OR_UNEXPIRING_MARKER on the memory store', () => {
  const store = new MemoryStore();
  const connection = new MemoryConnection(store);
  /** The script's code (its reply is `[code, seconds, microseconds]`); no fence in the way. */
  const take = async (key: string, seen: string): Promise<unknown> => {
    const fence = Number.MAX_SAFE_INTEGER;
    const args = [fence, seen, 'CA~lease~mine', 1000];
    return ((await connection.evalSha(TAKE_LEASE_OR_UNEXPIRING_MARKER, key, args)) as unknown[])[0];
  };

  afterAll(() => store.close());

  it('leaves a lease that expires to its holder', async () => {
    store.set('held', 'CA~lease~theirs', 5000);
    expect(await take('held', 'CA~lease~theirs')).toBe(0);
    expect(store.get('held')?.toString()).toBe('CA~lease~theirs');
  });

  it('takes over a marker with no expiry, and with our lease TTL', async () => {
    store.set('planted', 'CA~lease~planted');
    expect(await take('planted', 'CA~lease~planted')).toBe(1);
    expect(store.get('planted')?.toString()).toBe('CA~lease~mine');
    expect(store.pttl('planted')).toBeGreaterThan(0);
  });

  it('does nothing past its fence (the caller gave up on it), and says so', async () => {
    const args = [1, 'CA~lease~theirs', 'CA~lease~mine', 1000];
    const reply = await connection.evalSha(TAKE_LEASE_OR_UNEXPIRING_MARKER, 'late', args);
    expect((reply as unknown[])[0]).toBe(-1);
    expect(store.get('late')).toBeNull();
  });

  it('takes an absent key, and leaves a value that changed since it was read', async () => {
    expect(await take('gone', 'CA~lease~theirs')).toBe(1);
    store.set('changed', 'something else');
    expect(await take('changed', 'CA~lease~theirs')).toBe(0);
  });
});
