import {
  Cacheable,
  CacheConfig,
  CacheInterceptor,
  CacheTtl,
  JsonSerializer,
  type Serializer,
} from '../../../lib';
import { FakeCacheManager } from './support/fake-manager';

interface User {
  id: number;
  name: string;
}

describe('@Cacheable', () => {
  let cache: FakeCacheManager;

  beforeEach(() => {
    CacheInterceptor.reset();
    cache = new FakeCacheManager(60);
    CacheInterceptor.use(cache);
  });

  afterAll(() => CacheInterceptor.reset());

  describe('reads', () => {
    class UserRepository {
      calls = 0;

      @Cacheable({ key: 'user:{0}' })
      async findById(id: number): Promise<User> {
        this.calls++;
        return { id, name: `user ${id}` };
      }
    }

    it('runs the method on a miss and answers from the cache on a hit', async () => {
      const repo = new UserRepository();
      expect(await repo.findById(1)).toEqual({ id: 1, name: 'user 1' });
      expect(await repo.findById(1)).toEqual({ id: 1, name: 'user 1' });
      expect(repo.calls).toBe(1);
      expect(cache.gets.map((g) => g.key)).toEqual(['user:1', 'user:1']);
    });

    it('keeps entries of different arguments apart', async () => {
      const repo = new UserRepository();
      await repo.findById(1);
      await repo.findById(2);
      expect(repo.calls).toBe(2);
      expect([...cache.store.keys()]).toEqual(['user:1', 'user:2']);
    });

    it('lets two instances share an entry through an equal key, and only through it', async () => {
      const a = new UserRepository();
      const b = new UserRepository();
      await a.findById(7);
      await b.findById(7);
      await b.findById(8);
      expect(a.calls).toBe(1);
      expect(b.calls).toBe(1);
    });

    it('labels every read with Class.method for per-method statistics', async () => {
      await new UserRepository().findById(1);
      expect(cache.gets[0].opts.label).toBe('UserRepository.findById');
    });

    it('returns a Promise from every call, even on a hit', async () => {
      const repo = new UserRepository();
      await repo.findById(1);
      const hit = repo.findById(1);
      expect(hit).toBeInstanceOf(Promise);
      await hit;
    });

    it('passes an error of the method to the caller unchanged and stores nothing', async () => {
      const failure = new Error('database down');
      class Failing {
        @Cacheable({ key: 'x' })
        async load(): Promise<number> {
          throw failure;
        }
      }
      await expect(new Failing().load()).rejects.toBe(failure);
      expect(cache.store.size).toBe(0);
    });

    it('turns a method that throws synchronously into a rejected Promise', async () => {
      class Sync {
        @Cacheable({ key: 'sync' })
        load(): Promise<number> {
          throw new RangeError('sync');
        }
      }
      const call = new Sync().load();
      expect(call).toBeInstanceOf(Promise);
      await expect(call).rejects.toThrow(RangeError);
    });

    it('caches falsy results as values', async () => {
      let calls = 0;
      class Falsy {
        @Cacheable({ key: 'falsy:{0}' })
        async get(kind: string): Promise<unknown> {
          calls++;
          return ({ zero: 0, empty: '', no: false, nil: null } as Record<string, unknown>)[kind];
        }
      }
      const f = new Falsy();
      for (const kind of ['zero', 'empty', 'no', 'nil']) {
        const first = await f.get(kind);
        expect(await f.get(kind)).toBe(first);
      }
      expect(calls).toBe(4);
    });
  });

  describe('keys', () => {
    it('fills {0} with the first argument and {1.id} with a property of the second', async () => {
      class Orders {
        @Cacheable({ key: 'order:{0}:{1.id}:{1.customer.name}' })
        async find(
          region: string,
          order: { id: number; customer: { name: string } },
        ): Promise<string> {
          return `${region}/${order.id}`;
        }
      }
      await new Orders().find('eu', { id: 5, customer: { name: 'ann' } });
      expect(cache.gets[0].key).toBe('order:eu:5:ann');
    });

    it('calls a key function with the arguments and the instance as this', async () => {
      class Tenanted {
        constructor(readonly tenant: string) {}

        @Cacheable({
          key(this: Tenanted, id: number) {
            return `${this.tenant}:user:${id}`;
          },
        })
        async find(id: number): Promise<number> {
          return id;
        }
      }
      await new Tenanted('acme').find(3);
      await new Tenanted('globex').find(3);
      expect(cache.gets.map((g) => g.key)).toEqual(['acme:user:3', 'globex:user:3']);
    });

    it('builds a stable default key from class, method and arguments', async () => {
      class Search {
        calls = 0;
        @Cacheable()
        async query(_filter: Record<string, unknown>, _page: number): Promise<number> {
          return ++this.calls;
        }
      }
      const s = new Search();
      await s.query({ a: 1, b: 2 }, 1);
      await s.query({ b: 2, a: 1 }, 1);
      expect(s.calls).toBe(1);
      expect(cache.gets[0].key).toBe('Search.query:(s1:a=n1,s1:b=n2),n1');
    });

    it("does not confuse f(1) with f('1'), null with undefined, or [1,2] with '1,2'", async () => {
      class F {
        @Cacheable()
        async f(value: unknown): Promise<unknown> {
          return value;
        }
      }
      const f = new F();
      for (const value of [1, '1', null, undefined, [1, 2], '1,2']) await f.f(value);
      expect(new Set(cache.gets.map((g) => g.key)).size).toBe(6);
    });

    it('puts the class namespace between the prefix and the key', async () => {
      @CacheConfig({ namespace: 'users' })
      class Namespaced {
        @Cacheable({ key: 'user:{0}' })
        async find(id: number): Promise<number> {
          return id;
        }

        @Cacheable()
        async all(): Promise<number[]> {
          return [];
        }
      }
      await new Namespaced().find(1);
      await new Namespaced().all();
      expect(cache.gets.map((g) => g.key)).toEqual(['users:user:1', 'users:Namespaced.all:']);
    });

    it('refuses a call whose template value is missing, rather than caching under "undefined"', async () => {
      class Missing {
        @Cacheable({ key: 'user:{0.id}' })
        async find(_user: { id?: number }): Promise<number> {
          return 1;
        }
      }
      await expect(new Missing().find({})).rejects.toThrow(
        /@Cacheable key of Missing\.find "user:\{0\.id\}": \{0\.id\} is undefined \(argument 0\.id\)/,
      );
      expect(cache.gets).toHaveLength(0);
    });

    it('refuses a key function that returns something other than a non-empty string', async () => {
      class Bad {
        @Cacheable({ key: () => '' })
        async find(): Promise<number> {
          return 1;
        }
      }
      await expect(new Bad().find()).rejects.toThrow(
        /@Cacheable key of Bad\.find returned an empty string/,
      );
    });

    it('refuses a default key over an argument it cannot encode, naming the argument', async () => {
      class Callbacks {
        @Cacheable()
        async run(_options: { onDone: () => void }): Promise<number> {
          return 1;
        }
      }
      await expect(new Callbacks().run({ onDone: () => undefined })).rejects.toThrow(
        /argument 0\.onDone is a function/,
      );
    });
  });

  describe('TTL', () => {
    class Base {
      @Cacheable({ key: 'k' })
      async plain(): Promise<number> {
        return 1;
      }
    }

    it('leaves the TTL to the manager when nothing sets one', async () => {
      await new Base().plain();
      expect(cache.gets[0].opts.ttl).toBeUndefined();
    });

    it('follows @CacheTtl > option ttl > @CacheConfig ttl, whatever the decorator order', async () => {
      @CacheConfig({ ttl: 300 })
      class Ttls {
        @Cacheable({ key: 'a' })
        async classOnly(): Promise<number> {
          return 1;
        }

        @Cacheable({ key: 'b', ttl: 120 })
        async option(): Promise<number> {
          return 1;
        }

        @CacheTtl(5)
        @Cacheable({ key: 'c', ttl: 120 })
        async ttlAbove(): Promise<number> {
          return 1;
        }

        @Cacheable({ key: 'd', ttl: 120 })
        @CacheTtl(7)
        async ttlBelow(): Promise<number> {
          return 1;
        }
      }
      const t = new Ttls();
      await t.classOnly();
      await t.option();
      await t.ttlAbove();
      await t.ttlBelow();
      expect(cache.gets.map((g) => g.opts.ttl)).toEqual([300, 120, 5, 7]);
    });

    it('computes a dynamic TTL from the result and the arguments, with the instance as this', async () => {
      class Dynamic {
        readonly factor = 10;

        @CacheTtl(function (this: Dynamic, result: { vip: boolean }, id: number) {
          return result.vip ? this.factor * id : 0;
        })
        @Cacheable({ key: 'u:{0}' })
        async find(id: number): Promise<{ vip: boolean }> {
          return { vip: id > 1 };
        }
      }
      const d = new Dynamic();
      await d.find(3);
      expect(cache.ttlOfLastGet({ vip: true })).toBe(30);
      expect(cache.store.get('u:3')?.ttl).toBe(30);
      await d.find(1);
      expect(cache.store.has('u:1')).toBe(false);
    });

    it('keeps a result out of the cache when unless says so, without touching others', async () => {
      let calls = 0;
      class Unless {
        @Cacheable({
          key: 'u:{0}',
          ttl: 90,
          unless: (result: unknown, id: number) => result === null || id < 0,
        })
        async find(id: number): Promise<string | null> {
          calls++;
          return id === 0 ? null : `v${id}`;
        }
      }
      const u = new Unless();
      await u.find(0);
      await u.find(0);
      await u.find(-1);
      await u.find(-1);
      await u.find(1);
      await u.find(1);
      expect(calls).toBe(5);
      expect(cache.store.get('u:1')?.ttl).toBe(90);
    });

    it("uses the manager's default TTL for unless when no TTL is configured", async () => {
      class UnlessDefault {
        @Cacheable({ key: 'x', unless: () => false })
        async find(): Promise<number> {
          return 1;
        }
      }
      await new UnlessDefault().find();
      expect(cache.store.get('x')?.ttl).toBe(60);
    });
  });

  describe('condition', () => {
    it('bypasses the cache for a call whose condition is false', async () => {
      let calls = 0;
      class Conditional {
        @Cacheable({ key: 'c:{0}', condition: (id: number) => id > 0 })
        async find(_id: number): Promise<number> {
          return ++calls;
        }
      }
      const c = new Conditional();
      expect(await c.find(0)).toBe(1);
      expect(await c.find(0)).toBe(2);
      expect(await c.find(1)).toBe(3);
      expect(await c.find(1)).toBe(3);
      expect(cache.gets.map((g) => g.key)).toEqual(['c:1', 'c:1']);
    });

    it('takes the class condition when the method has none, and the method one over it', async () => {
      @CacheConfig({ condition: () => false })
      class ClassCondition {
        @Cacheable({ key: 'off' })
        async off(): Promise<number> {
          return 1;
        }

        @Cacheable({ key: 'on', condition: () => true })
        async on(): Promise<number> {
          return 1;
        }
      }
      await new ClassCondition().off();
      await new ClassCondition().on();
      expect(cache.gets.map((g) => g.key)).toEqual(['on']);
    });
  });

  describe('other options', () => {
    it('passes tags (fixed or computed), grace, eagerRefresh and the serializer to the manager', async () => {
      const serializer: Serializer = new JsonSerializer();
      @CacheConfig({ grace: 30, eagerRefresh: 0.5 })
      class Options {
        @Cacheable({ key: 'a', tags: ['users'], serializer })
        async a(): Promise<number> {
          return 1;
        }

        @Cacheable({
          key: 'b:{0}',
          tags: (id: number) => [`user:${id}`],
          grace: 5,
          eagerRefresh: 0.8,
        })
        async b(id: number): Promise<number> {
          return id;
        }
      }
      await new Options().a();
      await new Options().b(4);
      expect(cache.gets[0].opts).toMatchObject({
        tags: ['users'],
        serializer,
        grace: 30,
        eagerRefresh: 0.5,
      });
      expect(cache.gets[1].opts).toMatchObject({ tags: ['user:4'], grace: 5, eagerRefresh: 0.8 });
      expect(cache.gets[1].opts.serializer).toBeUndefined();
    });

    it('passes stale-while-revalidate and the loader timeouts, method over class, also with per-call options', async () => {
      @CacheConfig({ staleWhileRevalidate: 30, softTimeoutMs: 50, hardTimeoutMs: 500 })
      class Freshness {
        @Cacheable({ key: 'a' })
        async a(): Promise<number> {
          return 1;
        }

        @Cacheable({ key: 'b', staleWhileRevalidate: 5, hardTimeoutMs: 100, ttl: (n: number) => n })
        async b(): Promise<number> {
          return 2;
        }
      }
      await new Freshness().a();
      await new Freshness().b();
      expect(cache.gets[0].opts).toMatchObject({
        staleWhileRevalidate: 30,
        softTimeoutMs: 50,
        hardTimeoutMs: 500,
      });
      expect(cache.gets[1].opts).toMatchObject({
        staleWhileRevalidate: 5,
        softTimeoutMs: 50,
        hardTimeoutMs: 100,
      });
    });

    it('refuses computed tags that are not an array of non-empty strings', async () => {
      class BadTags {
        @Cacheable({ key: 'a', tags: () => ['ok', ''] })
        async a(): Promise<number> {
          return 1;
        }
      }
      await expect(new BadTags().a()).rejects.toThrow(
        /@Cacheable tags of BadTags\.a returned an array/,
      );
    });
  });

  describe('managers', () => {
    it('resolves the manager at call time, so it may be registered after the class is defined', async () => {
      CacheInterceptor.reset();
      class Early {
        @Cacheable({ key: 'early' })
        async get(): Promise<number> {
          return 1;
        }
      }
      const late = new FakeCacheManager();
      CacheInterceptor.use(late);
      await new Early().get();
      expect(late.gets.map((g) => g.key)).toEqual(['early']);
    });

    it('uses a named manager from the decorator, or from @CacheConfig', async () => {
      const sessions = new FakeCacheManager();
      CacheInterceptor.use(sessions, 'sessions');
      @CacheConfig({ manager: 'sessions' })
      class Sessions {
        @Cacheable({ key: 'from-class' })
        async a(): Promise<number> {
          return 1;
        }

        @Cacheable({ key: 'from-method', manager: 'default' })
        async b(): Promise<number> {
          return 1;
        }
      }
      await new Sessions().a();
      await new Sessions().b();
      expect(sessions.gets.map((g) => g.key)).toEqual(['from-class']);
      expect(cache.gets.map((g) => g.key)).toEqual(['from-method']);
    });

    it('refuses a manager that lacks the cache operations', () => {
      expect(() => CacheInterceptor.use({ get: () => undefined } as never)).toThrow(
        /needs a cache manager.*lacks set, invalidate, invalidatePattern, invalidateTags/,
      );
      expect(() => CacheInterceptor.use(cache, '')).toThrow(/name must be a non-empty string/);
    });
  });
});
