import {
  Cacheable,
  CacheConfig,
  CacheEvict,
  CacheInterceptor,
  CachePut,
  CacheTtl,
} from '../../../lib';
import { FakeCacheManager } from './support/fake-manager';

interface User {
  id: number;
  name: string;
}

describe('@CacheEvict', () => {
  let cache: FakeCacheManager;

  beforeEach(() => {
    CacheInterceptor.reset();
    cache = new FakeCacheManager();
    CacheInterceptor.use(cache);
  });

  afterAll(() => CacheInterceptor.reset());

  @CacheConfig({ namespace: 'users' })
  class UserRepository {
    readonly log: string[] = [];
    fail = false;

    @Cacheable({ key: 'user:{0}' })
    async findById(id: number): Promise<User> {
      return { id, name: `user ${id}` };
    }

    @CacheEvict({ key: 'user:{0}' })
    async update(id: number, _patch: Partial<User>): Promise<void> {
      this.log.push(`update ${id}`);
      if (this.fail) throw new Error('write failed');
    }

    @CacheEvict({ key: 'user:{0}', beforeInvocation: true })
    async remove(id: number): Promise<void> {
      this.log.push(`remove ${id}`);
      if (this.fail) throw new Error('write failed');
    }

    @CacheEvict({ keys: ['user:{0}', (_a: number, b: number) => `user:${b}`] })
    async swap(_a: number, _b: number): Promise<void> {}

    @CacheEvict({ keys: (...ids: number[]) => ids.map((id) => `user:${id}`) })
    async removeMany(..._ids: number[]): Promise<void> {}

    @CacheEvict({ pattern: 'user:{0}*' })
    async removeByPrefix(_prefix: string): Promise<void> {}

    @CacheEvict({ tags: (team: string) => [`team:${team}`] })
    async renameTeam(_team: string): Promise<void> {}

    @CacheEvict({ allEntries: true })
    async importAll(): Promise<void> {}

    @CacheEvict({ key: 'user:{0}', condition: (id: number) => id !== 0 })
    async touch(_id: number): Promise<void> {}
  }

  it('evicts the key after the method succeeds', async () => {
    const repo = new UserRepository();
    await repo.findById(1);
    expect(cache.store.has('users:user:1')).toBe(true);
    await repo.update(1, { name: 'x' });
    expect(cache.store.has('users:user:1')).toBe(false);
    expect(cache.log).toEqual(['get:users:user:1', 'invalidate:users:user:1']);
  });

  it('does not evict at all when the method throws', async () => {
    const repo = new UserRepository();
    await repo.findById(1);
    repo.fail = true;
    await expect(repo.update(1, {})).rejects.toThrow('write failed');
    expect(cache.store.has('users:user:1')).toBe(true);
    expect(cache.invalidations).toHaveLength(0);
  });

  it('evicts before the method runs with beforeInvocation, even if the method then throws', async () => {
    const repo = new UserRepository();
    await repo.findById(2);
    repo.fail = true;
    const order: string[] = [];
    const invalidate = cache.invalidate.bind(cache);
    cache.invalidate = async (keys) => {
      order.push(`evict (method ran: ${repo.log.length > 0})`);
      return invalidate(keys);
    };
    await expect(repo.remove(2)).rejects.toThrow('write failed');
    expect(order).toEqual(['evict (method ran: false)']);
    expect(cache.store.has('users:user:2')).toBe(false);
  });

  it('evicts several keys, from templates and functions, in one call', async () => {
    await new UserRepository().swap(1, 2);
    await new UserRepository().removeMany(3, 4, 5);
    expect(cache.invalidations).toEqual([
      ['users:user:1', 'users:user:2'],
      ['users:user:3', 'users:user:4', 'users:user:5'],
    ]);
  });

  it('evicts by pattern, with argument values encoded (glob characters too) and the namespace in front', async () => {
    const repo = new UserRepository();
    await repo.findById(10);
    await repo.findById(11);
    await repo.removeByPrefix('1');
    expect(cache.patterns).toEqual(['users:user:1*']);
    expect(cache.store.size).toBe(0);

    await repo.removeByPrefix('*');
    expect(cache.patterns[1]).toBe('users:user:%2A*');
  });

  it('invalidates computed tags', async () => {
    await new UserRepository().renameTeam('blue');
    expect(cache.tagInvalidations).toEqual([['team:blue']]);
  });

  it('clears the class namespace with allEntries, and only it', async () => {
    cache.store.set('users:user:1', { value: 1, ttl: 60, tags: [] });
    cache.store.set('orders:order:1', { value: 1, ttl: 60, tags: [] });
    await new UserRepository().importAll();
    expect(cache.patterns).toEqual(['users:*']);
    expect([...cache.store.keys()]).toEqual(['orders:order:1']);
  });

  it('encodes the namespace in patterns, so that its glob characters are literal', async () => {
    @CacheConfig({ namespace: 'a*b' })
    class Odd {
      @CacheEvict({ allEntries: true, pattern: 'x:{0}' })
      async clear(_x: string): Promise<void> {}
    }
    await new Odd().clear('?');
    expect(cache.patterns.sort()).toEqual(['a%2Ab:*', 'a%2Ab:x:%3F']);
  });

  it('refuses allEntries without a namespace before the method runs, instead of clearing the whole prefix', async () => {
    let ran = false;
    class NoNamespace {
      @CacheEvict({ allEntries: true })
      async importAll(): Promise<void> {
        ran = true;
      }
    }
    await expect(new NoNamespace().importAll()).rejects.toThrow(
      /allEntries: true \}\) on NoNamespace\.importAll needs a namespace.*@CacheConfig\(\{ namespace/,
    );
    expect(ran).toBe(false);
    expect(cache.patterns).toEqual([]);
  });

  it('skips the eviction when its condition is false', async () => {
    await new UserRepository().touch(0);
    await new UserRepository().touch(1);
    expect(cache.invalidations).toEqual([['users:user:1']]);
  });

  it('combines targets and repeated @CacheEvict decorators on one method', async () => {
    class Combined {
      @CacheEvict({ key: 'a', tags: ['t'] })
      @CacheEvict({ pattern: 'p:*', beforeInvocation: true })
      async run(): Promise<string> {
        cache.log.push('method');
        return 'done';
      }
    }
    expect(await new Combined().run()).toBe('done');
    expect(cache.log).toEqual(['pattern:p:*', 'method', 'invalidate:a', 'tags:t']);
  });

  it('refuses an eviction without a target at decoration, naming the options', () => {
    expect(() => CacheEvict()).toThrow(
      /@CacheEvict\(\) needs a target: give it key, keys, pattern, tags or allEntries/,
    );
    expect(() => CacheEvict({ beforeInvocation: true })).toThrow(TypeError);
    let thrown: unknown;
    try {
      CacheEvict({ condition: () => true });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'ERR_CACHE_ASIDE_INVALID_ARGUMENT' });
  });

  it('runs the evictions of a @Cacheable method around its read', async () => {
    class ReadAndEvict {
      @Cacheable({ key: 'r' })
      @CacheEvict({ key: 'stale-view' })
      async read(): Promise<number> {
        return 1;
      }
    }
    await new ReadAndEvict().read();
    expect(cache.log).toEqual(['get:r', 'invalidate:stale-view']);
  });
});

describe('@CachePut', () => {
  let cache: FakeCacheManager;

  beforeEach(() => {
    CacheInterceptor.reset();
    cache = new FakeCacheManager();
    CacheInterceptor.use(cache);
  });

  afterAll(() => CacheInterceptor.reset());

  it('always runs the method and stores its result under the key', async () => {
    let calls = 0;
    class Repo {
      @CachePut({ key: (u: User) => `user:${u.id}` })
      async save(u: User): Promise<User> {
        calls++;
        return { ...u, name: u.name.trim() };
      }
    }
    const repo = new Repo();
    expect(await repo.save({ id: 1, name: ' a ' })).toEqual({ id: 1, name: 'a' });
    await repo.save({ id: 1, name: 'b' });
    expect(calls).toBe(2);
    expect(cache.store.get('user:1')?.value).toEqual({ id: 1, name: 'b' });
    expect(cache.gets).toHaveLength(0);
  });

  it('computes the key after the method ran, so an id the method assigns is in it', async () => {
    class Repo {
      private next = 41;

      @CachePut({ key: 'user:{0.id}' })
      async insert(u: Partial<User>): Promise<Partial<User>> {
        u.id = ++this.next;
        return u;
      }
    }
    await new Repo().insert({ name: 'new' });
    expect([...cache.store.keys()]).toEqual(['user:42']);
  });

  it('writes with the TTL by precedence, the tags and the serializer', async () => {
    @CacheConfig({ ttl: 300, namespace: 'ns' })
    class Repo {
      @CachePut({ key: 'a', tags: ['t'] })
      async a(): Promise<number> {
        return 1;
      }

      @CacheTtl(9)
      @CachePut({ key: 'b', ttl: 100 })
      async b(): Promise<number> {
        return 1;
      }

      @CachePut({ key: 'c:{0}', ttl: (result: number, n: number) => result * n })
      async c(n: number): Promise<number> {
        return n + 1;
      }
    }
    const r = new Repo();
    await r.a();
    await r.b();
    await r.c(3);
    expect(cache.sets.map((s) => [s.key, s.opts.ttl, s.opts.tags])).toEqual([
      ['ns:a', 300, ['t']],
      ['ns:b', 9, undefined],
      ['ns:c:3', 12, undefined],
    ]);
  });

  it('removes the entry instead of writing when unless or a TTL <= 0 keeps the result out', async () => {
    class Repo {
      @CachePut({ key: 'u:{0}', unless: (result: User | null) => result === null })
      async save(id: number): Promise<User | null> {
        return id > 0 ? { id, name: 'x' } : null;
      }

      @CachePut({ key: 'v:{0}', ttl: (_r: unknown, id: number) => id })
      async save2(id: number): Promise<number> {
        return id;
      }
    }
    cache.store.set('u:0', { value: { id: 0, name: 'old' }, ttl: 60, tags: [] });
    await new Repo().save(0);
    await new Repo().save2(-1);
    expect(cache.sets).toHaveLength(0);
    expect(cache.invalidations).toEqual([['u:0'], ['v:-1']]);
    expect(cache.store.has('u:0')).toBe(false);
  });

  it('only runs the method when its condition is false', async () => {
    let calls = 0;
    class Repo {
      @CachePut({ key: 'u:{0}', condition: (id: number) => id > 0 })
      async save(id: number): Promise<number> {
        calls++;
        return id;
      }
    }
    await new Repo().save(0);
    expect(calls).toBe(1);
    expect(cache.sets).toHaveLength(0);
    expect(cache.invalidations).toHaveLength(0);
  });

  it('stores nothing when a TTL function returns something other than a positive number', async () => {
    class Repo {
      @CachePut({ key: 'u:{0}', ttl: () => undefined as unknown as number })
      async save(id: number): Promise<number> {
        return id;
      }
    }
    expect(await new Repo().save(3)).toBe(3);
    expect(cache.sets).toHaveLength(0);
  });

  it('writes nothing when the method throws', async () => {
    class Repo {
      @CachePut({ key: 'x' })
      async save(): Promise<number> {
        throw new Error('no');
      }
    }
    await expect(new Repo().save()).rejects.toThrow('no');
    expect(cache.sets).toHaveLength(0);
  });
});
