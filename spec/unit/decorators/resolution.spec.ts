import { Cacheable, CacheConfig, CacheEvict, CacheInterceptor } from '../../../lib';
import { FakeCacheManager } from './support/fake-manager';

/*
 * The interceptor resolves a method's settings, manager and key builder on its first call and
 * keeps them: these specs pin down that what it keeps never outlives what it was resolved from.
 */
describe('resolution kept per method', () => {
  let cache: FakeCacheManager;

  beforeEach(() => {
    CacheInterceptor.reset();
    cache = new FakeCacheManager(60);
    CacheInterceptor.use(cache);
  });

  afterAll(() => CacheInterceptor.reset());

  class Repo {
    loads = 0;

    @Cacheable({ key: 'item:{0}', ttl: 30 })
    async find(id: number): Promise<string> {
      this.loads++;
      return `item ${id}`;
    }
  }

  it('follows a manager registered again under the same name after the first call', async () => {
    const repo = new Repo();
    await repo.find(1);
    const replacement = new FakeCacheManager(60);
    CacheInterceptor.use(replacement);
    await repo.find(1);
    expect(cache.gets).toHaveLength(1);
    expect(replacement.gets.map((g) => g.key)).toEqual(['item:1']);
    expect(repo.loads).toBe(2);
  });

  it('refuses calls again after reset(), and serves once a manager is registered anew', async () => {
    const repo = new Repo();
    await repo.find(1);
    CacheInterceptor.reset();
    await expect(repo.find(1)).rejects.toThrow(/no cache manager is registered/);
    const next = new FakeCacheManager(60);
    CacheInterceptor.use(next);
    await repo.find(1);
    expect(next.gets.map((g) => g.key)).toEqual(['item:1']);
  });

  it('follows a named manager registered after a failed call, and its replacement', async () => {
    class Named {
      @Cacheable({ key: 'n:{0}', manager: 'late' })
      async find(id: number): Promise<number> {
        return id;
      }
    }
    const named = new Named();
    await expect(named.find(1)).rejects.toThrow(/"late", which is not registered/);
    const late = new FakeCacheManager();
    CacheInterceptor.use(late, 'late');
    await named.find(1);
    const later = new FakeCacheManager();
    CacheInterceptor.use(later, 'late');
    await named.find(2);
    expect(late.gets.map((g) => g.key)).toEqual(['n:1']);
    expect(later.gets.map((g) => g.key)).toEqual(['n:2']);
  });

  it('picks up a class configuration added after the first call', async () => {
    class Late {
      @Cacheable({ key: 'k:{0}' })
      async find(id: number): Promise<number> {
        return id;
      }
    }
    const late = new Late();
    await late.find(1);
    CacheConfig({ namespace: 'added', ttl: 5 })(Late);
    await late.find(1);
    expect(cache.gets.map((g) => g.key)).toEqual(['k:1', 'added:k:1']);
    expect(cache.gets[1].opts.ttl).toBe(5);
  });

  it('keeps the resolutions of subclasses apart when calls alternate between them', async () => {
    @CacheConfig({ namespace: 'a' })
    class A extends Repo {}
    @CacheConfig({ namespace: 'b' })
    class B extends Repo {}
    const a = new A();
    const b = new B();
    const base = new Repo();
    for (let i = 0; i < 3; i++) {
      await a.find(1);
      await b.find(1);
      await base.find(1);
    }
    expect(cache.gets.map((g) => g.key)).toEqual(
      Array(3).fill(['a:item:1', 'b:item:1', 'item:1']).flat(),
    );
    expect(cache.gets.map((g) => g.opts.label)).toEqual(
      Array(3).fill(['A(Repo).find', 'B(Repo).find', 'Repo.find']).flat(),
    );
  });

  it('hands every call the same frozen options when nothing in them depends on the call', async () => {
    const repo = new Repo();
    await repo.find(1);
    await repo.find(2);
    expect(cache.gets[0].opts).toBe(cache.gets[1].opts);
    expect(Object.isFrozen(cache.gets[0].opts)).toBe(true);
    expect(cache.gets[0].opts).toEqual({ label: 'Repo.find', ttl: 30 });
  });

  it('builds options per call when the TTL or the tags depend on it', async () => {
    class Dynamic {
      @Cacheable({ key: 'd:{0}', ttl: (value: number) => value, tags: (id: number) => [`t${id}`] })
      async find(id: number): Promise<number> {
        return id * 10;
      }
    }
    const dynamic = new Dynamic();
    await dynamic.find(1);
    await dynamic.find(2);
    expect(cache.gets[0].opts).not.toBe(cache.gets[1].opts);
    expect(cache.gets.map((g) => g.opts.tags)).toEqual([['t1'], ['t2']]);
    expect(cache.store.get('d:2')?.ttl).toBe(20);
  });

  it('runs a method that also evicts through the same prepared read', async () => {
    class Both {
      loads = 0;
      @Cacheable({ key: 'b:{0}' })
      @CacheEvict({ key: 'other:{0}' })
      async find(id: number): Promise<number> {
        this.loads++;
        return id;
      }
    }
    const both = new Both();
    expect(await both.find(3)).toBe(3);
    expect(await both.find(3)).toBe(3);
    expect(both.loads).toBe(1);
    expect(cache.log).toEqual(['get:b:3', 'invalidate:other:3', 'get:b:3', 'invalidate:other:3']);
  });
});
