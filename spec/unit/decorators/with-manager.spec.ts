import {
  Cacheable,
  CacheAsideManager,
  CacheConfig,
  CacheEvict,
  CacheInterceptor,
  CachePut,
  CacheTtl,
  MemoryStore,
} from '../../../lib';

/**
 * The decorators over the real CacheAsideManager, on the embedded memory store (hermetic): what
 * the interceptor hands over is what the manager needs, end to end.
 */

class User {
  constructor(
    public id: number,
    public name: string,
  ) {}

  greet(): string {
    return `hi ${this.name}`;
  }
}

describe('decorators with CacheAsideManager (memory store)', () => {
  let redis: MemoryStore;
  let cache: CacheAsideManager;

  beforeEach(() => {
    redis = new MemoryStore();
    cache = new CacheAsideManager({ redis, keyPrefix: 'deco:', ttlJitter: 0, defaultTtl: 60 });
    CacheInterceptor.reset();
    CacheInterceptor.use(cache);
  });

  afterEach(async () => {
    CacheInterceptor.reset();
    await cache.close();
    redis.close();
  });

  @CacheConfig({ namespace: 'users' })
  class UserRepository {
    loads = 0;
    readonly rows = new Map<number, { id: number; name: string; seen: Date }>([
      [1, { id: 1, name: 'ann', seen: new Date(0) }],
    ]);

    @Cacheable({ key: 'user:{0}' })
    @CacheTtl(120)
    async findById(id: number): Promise<{ id: number; name: string; seen: Date } | null> {
      this.loads++;
      await new Promise((r) => setTimeout(r, 10));
      return this.rows.get(id) ?? null;
    }

    @Cacheable({ key: 'user:typed:{0}', type: User })
    async findTyped(id: number): Promise<User> {
      this.loads++;
      return new User(id, 'typed');
    }

    @Cacheable({ key: 'vip:{0}', ttl: (u: { name: string } | null) => (u ? 30 : 0) })
    async findVip(id: number): Promise<{ name: string } | null> {
      this.loads++;
      return id > 0 ? { name: 'vip' } : null;
    }

    @CachePut({ key: 'user:{0.id}' })
    async save(row: {
      id: number;
      name: string;
      seen: Date;
    }): Promise<{ id: number; name: string; seen: Date }> {
      this.rows.set(row.id, row);
      return row;
    }

    @CacheEvict({ key: 'user:{0}' })
    async update(id: number, name: string): Promise<void> {
      const row = this.rows.get(id);
      if (row) row.name = name;
    }

    @CacheEvict({ allEntries: true })
    async reset(): Promise<void> {}
  }

  it('loads once for concurrent callers (the manager’s single-flight) and serves the rest from Redis', async () => {
    const repo = new UserRepository();
    const results = await Promise.all(Array.from({ length: 10 }, () => repo.findById(1)));
    expect(new Set(results.map((r) => r?.name))).toEqual(new Set(['ann']));
    expect(repo.loads).toBe(1);
    await cache.settle();
    expect(await repo.findById(1)).toEqual({ id: 1, name: 'ann', seen: new Date(0) });
    expect(repo.loads).toBe(1);
  });

  it('stores under prefix + namespace + key, with the @CacheTtl TTL', async () => {
    await new UserRepository().findById(1);
    await cache.settle();
    const ttl = await cache.getTtl('users:user:1');
    expect(ttl).toBeGreaterThan(110);
    expect(ttl).toBeLessThanOrEqual(120);
    expect(redis.get('deco:users:user:1')).not.toBeNull();
  });

  it('answers a hit with a Date as a Date', async () => {
    const repo = new UserRepository();
    await repo.findById(1);
    await cache.settle();
    const hit = await repo.findById(1);
    expect(hit?.seen).toBeInstanceOf(Date);
    expect(repo.loads).toBe(1);
  });

  it('brings values back as instances of type', async () => {
    const repo = new UserRepository();
    await repo.findTyped(2);
    await cache.settle();
    const hit = await repo.findTyped(2);
    expect(repo.loads).toBe(1);
    expect(hit).toBeInstanceOf(User);
    expect(hit.greet()).toBe('hi typed');
  });

  it('keeps a result with a dynamic TTL of 0 out of the cache', async () => {
    const repo = new UserRepository();
    await repo.findVip(0);
    await repo.findVip(1);
    await cache.settle();
    expect(await cache.getTtl('users:vip:0')).toBe(-2);
    expect(await cache.getTtl('users:vip:1')).toBeGreaterThan(25);
  });

  it('evicts on update so the next read loads the new value', async () => {
    const repo = new UserRepository();
    await repo.findById(1);
    await cache.settle();
    await repo.update(1, 'anna');
    expect((await repo.findById(1))?.name).toBe('anna');
    expect(repo.loads).toBe(2);
  });

  it('writes through on save, so the next read is a hit with the saved value', async () => {
    const repo = new UserRepository();
    await repo.save({ id: 9, name: 'zoe', seen: new Date(5) });
    await cache.settle();
    expect(await repo.findById(9)).toEqual({ id: 9, name: 'zoe', seen: new Date(5) });
    expect(repo.loads).toBe(0);
  });

  it('clears the namespace with allEntries and leaves other keys alone', async () => {
    const repo = new UserRepository();
    await repo.findById(1);
    await cache.set('orders:1', 'kept');
    await cache.settle();
    await repo.reset();
    expect(await cache.getTtl('users:user:1')).toBe(-2);
    expect(await cache.get('orders:1', () => 'reloaded')).toBe('kept');
  });

  it('breaks statistics down by Class.method', async () => {
    const repo = new UserRepository();
    await repo.findById(1);
    await cache.settle();
    await repo.findById(1);
    await repo.findById(1);
    await repo.findVip(1);
    const { methods } = cache.stats();
    expect(methods['UserRepository.findById']).toMatchObject({
      hits: 2,
      misses: 1,
      loads: 1,
      hitRatio: 2 / 3,
    });
    expect(methods['UserRepository.findById'].loadTimeMs).toBeGreaterThanOrEqual(5);
    expect(methods['UserRepository.findVip']).toMatchObject({ hits: 0, misses: 1, loads: 1 });
  });
});
