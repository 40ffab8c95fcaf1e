import { CacheAsideManager, type CacheError } from '../../../lib';
import { standaloneUnderTest } from '../../support/admin-client';
import { familyUnderTest } from '../../support/client-families';
import { collectErrors, uniquePrefix } from '../../support/test-redis';

/**
 * A load that outlives its lease (`leaseTtlMs`) is returned but cannot be stored: the lease that
 * guards the store has expired, and storing anyway could land over a newer write. That used to
 * happen silently, so a method slower than `leaseTtlMs` was never cached and nobody was told;
 * it is now reported (`LEASE_EXPIRED`, once per call or batch), while a store refused because an
 * invalidation came during the load stays silent (that refusal is the guarantee at work).
 */
const LEASE_TTL_MS = 100;
const SLOW_MS = 250;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe(`a load that outlives its lease, on ${familyUnderTest().name}`, () => {
  const store = standaloneUnderTest();
  let cache: CacheAsideManager;
  let prefix: string;
  const errors: CacheError[] = [];

  beforeEach(() => {
    prefix = uniquePrefix('lease-expired');
    errors.length = 0;
    cache = new CacheAsideManager({
      redis: store.under.client,
      keyPrefix: prefix,
      defaultTtl: 60,
      leaseTtlMs: LEASE_TTL_MS,
    });
    collectErrors(cache, errors);
  });

  afterEach(() => cache.close());

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
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const loading = cache.get('raced', async () => {
      await gate;
      return 'old';
    });
    await sleep(10);
    await cache.invalidate('raced');
    release();
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
    const loader = jest.fn(async (missing: string[]) => {
      await sleep(SLOW_MS);
      return missing.map((key) => `v-${key}`);
    });
    await expect(cache.getMany(keys, loader)).resolves.toEqual(keys.map((k) => `v-${k}`));
    await cache.settle();
    for (const key of keys) expect(await store.admin.getBuffer(`${prefix}${key}`)).toBeNull();
    expect(errors.map((e) => [e.code, e.operation])).toEqual([['LEASE_EXPIRED', 'getMany']]);
  });
});
