import {
  Cacheable,
  CacheAsideManager,
  CacheConfig,
  CacheEvict,
  CacheInterceptor,
  CachePut,
} from '../../../lib';
import { encodeKeySegment } from '../../../lib/interceptor/stable-encoding';
import { topologiesUnderTest, type AdminClient } from '../../support/admin-client';
import type { TestClient } from '../../support/client-families';
import { uniquePrefix } from '../../support/test-redis';

/**
 * The decorators against real redis-server processes (the suite's own, from the global setup):
 * one standalone server, and a Cluster of three where user values with braces must not pin keys
 * to one slot and pattern evictions must reach every master.
 */

interface Row {
  id: number;
  name: string;
  at: Date;
}

function defineRepository() {
  @CacheConfig({ namespace: 'users' })
  class UserRepository {
    loads = 0;
    readonly rows = new Map<string, Row>();

    @Cacheable({ key: 'user:{0}', ttl: 30 })
    async findById(id: string): Promise<Row | null> {
      this.loads++;
      await new Promise((r) => setTimeout(r, 20));
      return this.rows.get(id) ?? null;
    }

    @CachePut({ key: 'user:{0}' })
    async save(id: string, row: Row): Promise<Row> {
      this.rows.set(id, row);
      return row;
    }

    @CacheEvict({ key: 'user:{0}' })
    async update(id: string, name: string): Promise<void> {
      const row = this.rows.get(id);
      if (row) row.name = name;
    }

    @CacheEvict({ pattern: 'user:{0}*' })
    async removeByPrefix(_prefix: string): Promise<void> {}

    @CacheEvict({ allEntries: true })
    async clear(): Promise<void> {}
  }
  return UserRepository;
}

const topologies = topologiesUnderTest();

describe.each(topologies)('decorators on %s', (_name, connect) => {
  let under: TestClient;
  let admin: AdminClient;
  let cache: CacheAsideManager;
  const UserRepository = defineRepository();

  beforeAll(async () => {
    [under, admin] = await connect();
  });

  beforeEach(() => {
    cache = new CacheAsideManager({
      redis: under.client,
      keyPrefix: uniquePrefix('decorators'),
      ttlJitter: 0,
    });
    CacheInterceptor.reset();
    CacheInterceptor.use(cache);
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

  it('loads once for concurrent callers and then answers from Redis, Dates intact', async () => {
    const repo = new UserRepository();
    repo.rows.set('1', { id: 1, name: 'ann', at: new Date(1000) });
    const results = await Promise.all(Array.from({ length: 8 }, () => repo.findById('1')));
    expect(results.every((r) => r?.name === 'ann')).toBe(true);
    expect(repo.loads).toBe(1);
    await cache.settle();
    const hit = await repo.findById('1');
    expect(hit?.at).toEqual(new Date(1000));
    expect(repo.loads).toBe(1);
    expect(await cache.getTtl('users:user:1')).toBeGreaterThan(25);
  });

  it('evicts on update and writes through on save', async () => {
    const repo = new UserRepository();
    repo.rows.set('2', { id: 2, name: 'bob', at: new Date(0) });
    await repo.findById('2');
    await cache.settle();
    await repo.update('2', 'robert');
    expect((await repo.findById('2'))?.name).toBe('robert');
    await repo.save('3', { id: 3, name: 'cy', at: new Date(0) });
    await cache.settle();
    expect((await repo.findById('3'))?.name).toBe('cy');
    expect(repo.loads).toBe(2);
  });

  it('spreads keys whose values contain braces over their own slots, and evicts them by pattern', async () => {
    const repo = new UserRepository();
    const ids = ['{a}1', '{a}2', '{a}3', '{b}1', 'a*'];
    for (const id of ids) repo.rows.set(id, { id: 0, name: id, at: new Date(0) });
    for (const id of ids) await repo.findById(id);
    await cache.settle();
    // '{a}…' ids must not share the hash tag "a": their keys carry no braces at all
    const stored = await admin.keys('*users:user:*');
    expect(stored.filter((k) => k.includes(cachePrefix(cache)))).toHaveLength(ids.length);
    expect(stored.some((k) => /[{}]/.test(k.slice(cachePrefix(cache).length)))).toBe(false);

    await repo.removeByPrefix('{a}'); // encoded: matches only ids starting with "{a}"
    for (const id of ['{b}1', 'a*'])
      expect(await cache.getTtl(`users:user:${encodeBraces(id)}`)).toBeGreaterThan(0);
    for (const id of ['{a}1', '{a}2', '{a}3'])
      expect(await cache.getTtl(`users:user:${encodeBraces(id)}`)).toBe(-2);

    await repo.removeByPrefix('a*'); // the * is literal: 'a*' only
    expect(await cache.getTtl('users:user:a%2A')).toBe(-2);
    expect(await cache.getTtl('users:user:%7Bb%7D1')).toBeGreaterThan(0);
  });

  it('clears the namespace with allEntries and nothing else', async () => {
    const repo = new UserRepository();
    repo.rows.set('9', { id: 9, name: 'z', at: new Date(0) });
    await repo.findById('9');
    await cache.set('orders:1', 'kept');
    await cache.settle();
    await repo.clear();
    expect(await cache.getTtl('users:user:9')).toBe(-2);
    expect(await cache.getTtl('orders:1')).toBeGreaterThan(0);
  });
});

/** How a template value is written into a key (braces and glob characters as %XX). */
function encodeBraces(text: string): string {
  return encodeKeySegment(text);
}

function cachePrefix(cache: CacheAsideManager): string {
  return cache.keyPrefix;
}
