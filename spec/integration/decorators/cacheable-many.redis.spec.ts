import {
  BatchSizeMismatchError,
  CacheableMany,
  CacheAsideManager,
  CacheConfig,
  CacheEvict,
  CacheInterceptor,
} from '../../../lib';
import { topologiesUnderTest, type AdminClient } from '../../support/admin-client';
import type { TestClient } from '../../support/client-families';
import { uniquePrefix } from '../../support/test-redis';

/**
 * `@CacheableMany` against real redis-server processes of the global setup: one multi-get per
 * call (on a Cluster, items spread over slots), one method call with only the missing ids,
 * items stored one key each with their TTL, nulls as values, and nothing stored from a batch
 * of the wrong size.
 */

interface Row {
  id: number;
  name: string;
  at: Date;
}

function defineRepository() {
  @CacheConfig({ namespace: 'users' })
  class UserRepository {
    readonly calls: number[][] = [];
    readonly rows = new Map<number, Row>();
    short = false;

    @CacheableMany({ key: 'user:{0}', ttl: 30 })
    async findByIds(ids: number[]): Promise<Array<Row | null>> {
      this.calls.push([...ids]);
      await new Promise((r) => setTimeout(r, 10));
      const rows = ids.map((id) => this.rows.get(id) ?? null);
      return this.short ? rows.slice(1) : rows;
    }

    @CacheableMany({
      ids: 1,
      key: (tenant: string, id: number) => `t:${tenant}:${id}`,
      unless: (row: Row | null) => row === null,
    })
    async findForTenant(tenant: string, ids: number[]): Promise<Array<Row | null>> {
      this.calls.push([...ids]);
      return ids.map((id) => (tenant === 'acme' ? (this.rows.get(id) ?? null) : null));
    }

    @CacheEvict({ key: 'user:{0}' })
    async rename(id: number, name: string): Promise<void> {
      const row = this.rows.get(id);
      if (row) row.name = name;
    }
  }
  return UserRepository;
}

const topologies = topologiesUnderTest();

describe.each(topologies)('@CacheableMany on %s', (_name, connect) => {
  let under: TestClient;
  let admin: AdminClient;
  let cache: CacheAsideManager;
  const UserRepository = defineRepository();
  let repo: InstanceType<typeof UserRepository>;

  beforeAll(async () => {
    [under, admin] = await connect();
  });

  beforeEach(() => {
    cache = new CacheAsideManager({
      redis: under.client,
      keyPrefix: uniquePrefix('cacheable-many'),
      ttlJitter: 0,
    });
    CacheInterceptor.reset();
    CacheInterceptor.use(cache);
    repo = new UserRepository();
    for (let id = 1; id <= 6; id++)
      repo.rows.set(id, { id, name: `user ${id}`, at: new Date(id * 1000) });
  });

  afterEach(async () => {
    await cache.invalidatePattern('*');
    await cache.close();
    CacheInterceptor.reset();
  });

  afterAll(async () => {
    await admin.close();
    await under.close();
  });

  it('loads the missing ids in one call, keeps the input order, and answers later calls from Redis', async () => {
    const first = await repo.findByIds([3, 1, 3]);
    expect(first.map((r) => r?.id)).toEqual([3, 1, 3]);
    await cache.settle();
    const second = await repo.findByIds([2, 1, 4, 3, 2]);
    expect(second.map((r) => r?.id)).toEqual([2, 1, 4, 3, 2]);
    expect(second[1]?.at).toEqual(new Date(1000));
    expect(repo.calls).toEqual([
      [3, 1],
      [2, 4],
    ]);
    await cache.settle();
    await repo.findByIds([4, 3, 2, 1]);
    expect(repo.calls).toHaveLength(2);
    for (const id of [1, 2, 3, 4]) {
      const ttl = await cache.getTtl(`users:user:${id}`);
      expect(ttl).toBeGreaterThan(25);
      expect(ttl).toBeLessThanOrEqual(30);
    }
    expect(cache.stats().methods['UserRepository.findByIds']).toMatchObject({ hits: 6, misses: 6 }); // one per position asked for
  });

  it('stores a null item as a value, and serves it without calling the method', async () => {
    expect(await repo.findByIds([5, 404])).toEqual([repo.rows.get(5), null]);
    await cache.settle();
    expect(await repo.findByIds([404])).toEqual([null]);
    expect(repo.calls).toEqual([[5, 404]]);
    expect(await cache.getTtl('users:user:404')).toBeGreaterThan(0);
  });

  it('rejects a batch of the wrong size with BatchSizeMismatchError and stores none of it', async () => {
    repo.short = true;
    await expect(repo.findByIds([1, 2, 3])).rejects.toBeInstanceOf(BatchSizeMismatchError);
    await cache.settle();
    for (const id of [1, 2, 3]) expect(await cache.getTtl(`users:user:${id}`)).toBe(-2);
    repo.short = false;
    expect((await repo.findByIds([1, 2, 3])).map((r) => r?.id)).toEqual([1, 2, 3]);
  });

  it('reloads one id after an eviction of its key, leaving the others cached', async () => {
    await repo.findByIds([1, 2]);
    await cache.settle();
    await repo.rename(2, 'renamed');
    const rows = await repo.findByIds([1, 2]);
    expect(rows.map((r) => r?.name)).toEqual(['user 1', 'renamed']);
    expect(repo.calls).toEqual([[1, 2], [2]]);
  });

  it('keys items with the other arguments, passes them through, and keeps unless-vetoed items out', async () => {
    expect((await repo.findForTenant('acme', [1, 404])).map((r) => r?.id ?? null)).toEqual([
      1,
      null,
    ]);
    expect(await repo.findForTenant('zeta', [1])).toEqual([null]);
    await cache.settle();
    expect(await cache.getTtl('users:t:acme:1')).toBeGreaterThan(0);
    expect(await cache.getTtl('users:t:acme:404')).toBe(-2);
    expect(await cache.getTtl('users:t:zeta:1')).toBe(-2);
    await repo.findForTenant('acme', [1, 404]);
    expect(repo.calls).toEqual([[1, 404], [1], [404]]);
  });
});
