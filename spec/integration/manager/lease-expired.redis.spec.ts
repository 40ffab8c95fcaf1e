import { CacheAsideManager, type CacheError } from '../../../lib';
import { LEASE_MARKER_PREFIX } from '../../../lib/entry/entry-format';
import { standaloneUnderTest, type AdminClient } from '../../support/admin-client';
import { familyUnderTest } from '../../support/client-families';
import { collectErrors, uniquePrefix } from '../../support/test-redis';

/**
 * A load that outlives its lease (`leaseTtlMs`) is returned but cannot be stored: the lease that
 * guards the store has expired, and storing anyway could land over a newer write. That used to
 * happen silently, so a method slower than `leaseTtlMs` was never cached and nobody was told;
 * it is now reported (`LEASE_EXPIRED`, once per load or batch), while a store refused because an
 * invalidation came during a load shorter than the lease stays silent (that refusal is the
 * guarantee at work), however late its reply is read.
 */
const LEASE_TTL_MS = 100;
const SLOW_MS = 250;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Keeps the process from reading anything for `ms` (a busy event loop). */
const busy = (ms: number): void => {
  const end = Date.now() + ms;
  while (Date.now() < end);
};
const slowBatch = async (missing: string[]): Promise<string[]> => {
  await sleep(SLOW_MS);
  return missing.map((key) => `v-${key}`);
};

/** A loader held until `release()`, and a promise that says it has been called (its lease taken). */
function heldLoader<T>(value: T): {
  loader: () => Promise<T>;
  called: Promise<void>;
  release: () => void;
} {
  let release!: () => void;
  let wasCalled!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const called = new Promise<void>((resolve) => (wasCalled = resolve));
  const loader = async (): Promise<T> => {
    wasCalled();
    await gate;
    return value;
  };
  return { loader, called, release };
}

/** Nothing stored at a key: it is empty, or still holds a lease marker. */
async function holdsNoEntry(admin: AdminClient, key: string): Promise<boolean> {
  const stored = await admin.getBuffer(key);
  return stored === null || stored.toString('latin1').startsWith(LEASE_MARKER_PREFIX);
}

const family = familyUnderTest();

describe(`a load that outlives its lease, on ${family.name}`, () => {
  const store = standaloneUnderTest();
  let cache: CacheAsideManager;
  let prefix: string;
  const errors: CacheError[] = [];
  const opened: CacheAsideManager[] = [];

  /** A manager on the client under test and this case's prefix, its errors collected, closed after the case. */
  const manager = (
    options: Partial<ConstructorParameters<typeof CacheAsideManager>[0]>,
  ): CacheAsideManager => {
    const made = new CacheAsideManager({
      redis: store.under.client,
      keyPrefix: prefix,
      defaultTtl: 60,
      ...options,
    });
    collectErrors(made, errors);
    opened.push(made);
    return made;
  };

  beforeEach(() => {
    prefix = uniquePrefix('lease-expired');
    errors.length = 0;
    cache = manager({ leaseTtlMs: LEASE_TTL_MS });
  });

  afterEach(() => Promise.all(opened.splice(0).map((made) => made.close())));

  it('returns the value, stores nothing and says why, without the value in the report', async () => {
    const loader = jest.fn(async () => {
      await sleep(SLOW_MS);
      return { secret: 'value-of-a-slow-load' };
    });
    await expect(cache.get('slow', loader, { label: 'Users.slow' })).resolves.toEqual({
      secret: 'value-of-a-slow-load',
    });
    await cache.settle();
    expect(await store.admin.getBuffer(`${prefix}slow`)).toBeNull();
    expect(errors.map((e) => [e.code, e.operation, e.key])).toEqual([
      ['LEASE_EXPIRED', 'get', 'slow'],
    ]);
    expect(errors[0].message).toMatch(
      /came \d+ ms after its load lease was taken, longer than leaseTtlMs \(100 ms\)/,
    );
    expect(errors[0].message).not.toContain('value-of-a-slow-load');
    expect(cache.stats().methods['Users.slow']).toMatchObject({ errors: 1 });
  });

  it('says nothing when a load within its lease is not stored because of an invalidation', async () => {
    const held = heldLoader('old');
    const loading = cache.get('raced', held.loader);
    await held.called;
    await cache.invalidate('raced');
    held.release();
    await expect(loading).resolves.toBe('old');
    await cache.settle();
    expect(await store.admin.getBuffer(`${prefix}raced`)).toBeNull();
    expect(errors).toEqual([]);
  });

  it('stores a load that finished within its lease, and says nothing', async () => {
    await cache.get('quick', async () => 'v');
    await cache.settle();
    expect(await store.admin.getBuffer(`${prefix}quick`)).not.toBeNull();
    expect(errors).toEqual([]);
  });

  it('reports a slow batch load once, not once per key, and stores none of it', async () => {
    const keys = ['a', 'b', 'c', 'd'];
    await expect(cache.getMany(keys, slowBatch)).resolves.toEqual(keys.map((k) => `v-${k}`));
    await cache.settle();
    for (const key of keys) expect(await store.admin.getBuffer(`${prefix}${key}`)).toBeNull();
    expect(errors.map((e) => [e.code, e.operation])).toEqual([['LEASE_EXPIRED', 'getMany']]);
  });

  it('says nothing for a slow batch whose keys another process had leased (no lease of ours)', async () => {
    const holder = manager({ leaseTtlMs: 5000 });
    const held = heldLoader('from-holder');
    const holding = holder.get('a', held.loader);
    try {
      await held.called; // the holder's lease is at the key
      await expect(cache.getMany(['a'], slowBatch)).resolves.toEqual(['v-a']);
      await cache.settle();
      expect(errors).toEqual([]);
    } finally {
      held.release();
      await holding;
    }
  });

  it('judges the lease by its age when the store is sent, not when its refusal is read', async () => {
    const relaxed = manager({ leaseTtlMs: 1500, operationTimeoutMs: 5000 });
    await relaxed.get('warm', async () => 'w'); // the store script is known to Redis
    await relaxed.settle();
    // Loaded well within its lease, invalidated meanwhile: the store is refused, silently,
    // even when the refusal is read after the lease's life (the process busy meanwhile).
    const held = heldLoader('v');
    const loading = relaxed.get('k', held.loader);
    await held.called;
    await relaxed.invalidate('k');
    held.release();
    await loading;
    process.nextTick(() => busy(1600));
    await relaxed.settle();
    expect(await store.admin.getBuffer(`${prefix}k`)).toBeNull();
    expect(errors).toEqual([]);
  });

  // Round trips that outlast a lease need a server (the embedded store answers in microtasks):
  // the case exists on the server families only.
  if (family.name !== 'memory store') {
    it('reports once when the takes and stores of a batch, one key per round trip, outlast its leases', async () => {
      const chunked = manager({ leaseTtlMs: 30, getManyChunkSize: 1 });
      const keys = Array.from({ length: 2000 }, (_, i) => `c${i}`);
      const values = await chunked.getMany(keys, async (missing) => missing.map((k) => k));
      expect(values).toEqual(keys);
      await chunked.settle();
      expect(errors.map((e) => [e.code, e.operation])).toEqual([['LEASE_EXPIRED', 'getMany']]);
      expect(errors[0].message).toMatch(
        /leases \(leaseTtlMs, 30 ms\) ran out while they were taken and the values stored, 1 keys per round trip: \d+ values were returned but not stored/,
      );
      // The first chunks may have been stored in time; the last ones never were.
      for (const key of keys.slice(-10))
        expect(await holdsNoEntry(store.admin, `${prefix}${key}`)).toBe(true);
    });
  }
});
