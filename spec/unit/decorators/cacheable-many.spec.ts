import {
  BatchSizeMismatchError,
  Cacheable,
  CacheableMany,
  CacheConfig,
  CacheInterceptor,
  CachePut,
  CacheTtl,
  ClassTransformerSerializer,
  JsonSerializer,
} from '../../../lib';
import type { CacheManagerPort } from '../../../lib';
import { FakeCacheManager } from './support/fake-manager';

interface User {
  id: number;
  name: string;
}

describe('@CacheableMany', () => {
  let cache: FakeCacheManager;

  beforeEach(() => {
    CacheInterceptor.reset();
    cache = new FakeCacheManager(60);
    CacheInterceptor.use(cache);
  });

  afterAll(() => CacheInterceptor.reset());

  class UserRepository {
    readonly calls: number[][] = [];

    @CacheableMany({ key: (id: number) => `user:${id}` })
    async findByIds(ids: number[]): Promise<Array<User | null>> {
      this.calls.push([...ids]);
      return ids.map((id) => (id > 100 ? null : { id, name: `user ${id}` }));
    }
  }

  describe('reads', () => {
    it('loads every id in one call on a cold cache, and caches each item under its own key', async () => {
      const repo = new UserRepository();
      expect(await repo.findByIds([1, 2])).toEqual([
        { id: 1, name: 'user 1' },
        { id: 2, name: 'user 2' },
      ]);
      expect(repo.calls).toEqual([[1, 2]]);
      expect(cache.getManys.map((g) => g.keys)).toEqual([['user:1', 'user:2']]);
      expect([...cache.store.keys()]).toEqual(['user:1', 'user:2']);
    });

    it('calls the method with only the missing ids, deduplicated, in their original order', async () => {
      const repo = new UserRepository();
      await repo.findByIds([2, 4]);
      const users = await repo.findByIds([5, 2, 3, 5, 4, 1, 3]);
      expect(repo.calls).toEqual([
        [2, 4],
        [5, 3, 1],
      ]);
      expect(users.map((u) => u?.id)).toEqual([5, 2, 3, 5, 4, 1, 3]);
    });

    it('does not call the method when every id is cached', async () => {
      const repo = new UserRepository();
      await repo.findByIds([1, 2, 3]);
      expect(await repo.findByIds([3, 1])).toEqual([
        { id: 3, name: 'user 3' },
        { id: 1, name: 'user 1' },
      ]);
      expect(repo.calls).toHaveLength(1);
    });

    it('caches a null item as a value', async () => {
      const repo = new UserRepository();
      expect(await repo.findByIds([1, 404])).toEqual([{ id: 1, name: 'user 1' }, null]);
      expect(await repo.findByIds([404])).toEqual([null]);
      expect(repo.calls).toEqual([[1, 404]]);
      expect(cache.store.get('user:404')?.value).toBeNull();
    });

    it('answers an empty list with an empty array, without the method or the manager', async () => {
      const repo = new UserRepository();
      const answer = repo.findByIds([]);
      expect(answer).toBeInstanceOf(Promise);
      expect(await answer).toEqual([]);
      expect(repo.calls).toEqual([]);
      expect(cache.getManys).toEqual([]);
    });

    it('labels the batch with Class.method for per-method statistics', async () => {
      await new UserRepository().findByIds([1]);
      expect(cache.getManys[0].opts.label).toBe('UserRepository.findByIds');
    });

    it('reads the ids the caller passed, even if it changes its array during the call', async () => {
      const repo = new UserRepository();
      const ids = [7, 8];
      const pending = repo.findByIds(ids);
      ids.splice(0, 2, 9, 9);
      expect((await pending).map((u) => u?.id)).toEqual([7, 8]);
      expect(repo.calls).toEqual([[7, 8]]);
    });

    it('loads one id for two ids that share a key', async () => {
      class Loose {
        readonly calls: unknown[][] = [];
        @CacheableMany({ key: 'item:{0}' })
        async find(ids: Array<number | string>): Promise<string[]> {
          this.calls.push([...ids]);
          return ids.map((id) => `item ${typeof id}`);
        }
      }
      const loose = new Loose();
      expect(await loose.find([1, '1'])).toEqual(['item number', 'item number']);
      expect(loose.calls).toEqual([[1]]);
    });
  });

  describe('failures', () => {
    it('rejects with BatchSizeMismatchError when the method returns the wrong number of items, storing nothing', async () => {
      class Short {
        @CacheableMany({ key: 'x:{0}' })
        async find(ids: number[]): Promise<number[]> {
          return ids.slice(1);
        }
      }
      const error = await new Short().find([1, 2, 3]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BatchSizeMismatchError);
      expect(error).toMatchObject({ expected: 3, received: 2 });
      expect(cache.store.size).toBe(0);
    });

    it('refuses a result that is not an array, naming the method, and stores nothing', async () => {
      class NotArray {
        @CacheableMany({ key: 'x:{0}' })
        async find(_ids: number[]): Promise<unknown> {
          return { 1: 'one' };
        }
      }
      await expect(new NotArray().find([1])).rejects.toThrow(
        /@CacheableMany on NotArray\.find: the method returned an object; it must return an array with one item per id/,
      );
      expect(cache.store.size).toBe(0);
    });

    it('passes an error of the method to the caller unchanged, and stores nothing', async () => {
      const failure = new Error('database down');
      class Failing {
        @CacheableMany({ key: 'x:{0}' })
        async find(_ids: number[]): Promise<number[]> {
          throw failure;
        }
      }
      await expect(new Failing().find([1, 2])).rejects.toBe(failure);
      expect(cache.store.size).toBe(0);
    });

    it('rejects a call whose ids argument is not an array, before touching the cache', async () => {
      const repo = new UserRepository();
      await expect(repo.findByIds(7 as unknown as number[])).rejects.toThrow(
        /@CacheableMany on UserRepository\.findByIds: argument 0 must be the array of ids, got number 7/,
      );
      expect(cache.getManys).toEqual([]);
    });

    it('rejects a call through a manager without getMany, naming the manager', async () => {
      const { getMany: _omitted, ...rest } = Object.getOwnPropertyDescriptors(
        FakeCacheManager.prototype,
      );
      const bare = Object.create(Object.prototype, rest) as CacheManagerPort;
      Object.assign(bare, { defaultTtl: 60, gets: [], log: [], store: new Map() });
      CacheInterceptor.use(bare, 'bare');
      class OnBare {
        @CacheableMany({ key: 'x:{0}', manager: 'bare' })
        async find(ids: number[]): Promise<number[]> {
          return ids;
        }
      }
      await expect(new OnBare().find([1])).rejects.toThrow(
        /getMany\(\), which the cache manager "bare" does not have/,
      );
    });
  });

  describe('keys and arguments', () => {
    it('applies a template to each id, and a property path to each id object', async () => {
      class Orders {
        @CacheableMany({ key: 'order:{0.id}' })
        async find(refs: Array<{ id: string }>): Promise<string[]> {
          return refs.map((r) => r.id.toUpperCase());
        }
      }
      expect(await new Orders().find([{ id: 'a' }, { id: 'b' }])).toEqual(['A', 'B']);
      expect(cache.getManys[0].keys).toEqual(['order:a', 'order:b']);
    });

    it('calls a key function per id with the instance as this', async () => {
      class Scoped {
        constructor(readonly scope: string) {}
        @CacheableMany({
          key(this: Scoped, id: number) {
            return `${this.scope}:${id}`;
          },
        })
        async find(ids: number[]): Promise<number[]> {
          return ids;
        }
      }
      await new Scoped('eu').find([1, 2]);
      expect(cache.getManys[0].keys).toEqual(['eu:1', 'eu:2']);
    });

    it('builds a stable default key per id from class, method and the item arguments', async () => {
      class Plain {
        @CacheableMany()
        async find(ids: Array<number | string>): Promise<unknown[]> {
          return ids;
        }
      }
      await new Plain().find([1, '1']);
      expect(cache.getManys[0].keys).toEqual(['Plain.find:n1', 'Plain.find:s1:1']);
    });

    it('puts the class namespace in front of every key', async () => {
      @CacheConfig({ namespace: 'users' })
      class Namespaced {
        @CacheableMany({ key: 'user:{0}' })
        async find(ids: number[]): Promise<number[]> {
          return ids;
        }
      }
      await new Namespaced().find([1, 2]);
      expect(cache.getManys[0].keys).toEqual(['users:user:1', 'users:user:2']);
    });

    it('takes the ids from another argument, keys items with the others, and passes them through unchanged', async () => {
      class Tenanted {
        readonly calls: unknown[][] = [];
        @CacheableMany({ ids: 1, key: '{0}:user:{1}' })
        async find(tenant: string, ids: number[]): Promise<string[]> {
          this.calls.push([tenant, [...ids]]);
          return ids.map((id) => `${tenant}/${id}`);
        }
      }
      const repo = new Tenanted();
      expect(await repo.find('acme', [1, 2])).toEqual(['acme/1', 'acme/2']);
      expect(await repo.find('zeta', [2])).toEqual(['zeta/2']);
      expect(await repo.find('acme', [2, 3])).toEqual(['acme/2', 'acme/3']);
      expect(repo.calls).toEqual([
        ['acme', [1, 2]],
        ['zeta', [2]],
        ['acme', [3]],
      ]);
      expect([...cache.store.keys()]).toEqual([
        'acme:user:1',
        'acme:user:2',
        'zeta:user:2',
        'acme:user:3',
      ]);
    });

    it('gives a key function the item arguments: the id in place of the list, the others as passed', async () => {
      class WithOptions {
        @CacheableMany({
          key: (id: number, opts?: { deleted: boolean }) =>
            `u:${id}:${opts?.deleted ? 'all' : 'live'}`,
        })
        async find(ids: number[], opts?: { deleted: boolean }): Promise<string[]> {
          return ids.map((id) => `${id}${opts?.deleted ? '+' : ''}`);
        }
      }
      const repo = new WithOptions();
      expect(await repo.find([1], { deleted: true })).toEqual(['1+']);
      expect(await repo.find([1])).toEqual(['1']);
      expect(cache.getManys.map((g) => g.keys)).toEqual([['u:1:all'], ['u:1:live']]);
    });

    it('refuses, at call time, an argument that reaches the method past its declared parameters and is not in the key', async () => {
      class Rest {
        @CacheableMany({ key: 'r:{0}' })
        async find(ids: number[], ...flags: string[]): Promise<number[]> {
          // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the test passes undefined past the types
          return ids.map((id) => id + flags.filter((f) => f !== undefined).length);
        }
      }
      const repo = new Rest();
      await expect(repo.find([1], 'deleted')).rejects.toThrow(
        /@CacheableMany on Rest\.find: argument 1 is not part of the items' keys/,
      );
      expect(await repo.find([1], undefined as unknown as string)).toEqual([1]);
      expect(cache.getManys).toHaveLength(1);
    });
  });

  describe('options', () => {
    it('stores with the TTL by precedence: @CacheTtl > ttl > @CacheConfig > the manager default', async () => {
      @CacheConfig({ ttl: 300 })
      class Ttls {
        @CacheableMany({ key: 'a:{0}' })
        async fromClass(ids: number[]): Promise<number[]> {
          return ids;
        }
        @CacheableMany({ key: 'b:{0}', ttl: 30 })
        async fromOption(ids: number[]): Promise<number[]> {
          return ids;
        }
        @CacheTtl(5)
        @CacheableMany({ key: 'c:{0}', ttl: 30 })
        async fromCacheTtl(ids: number[]): Promise<number[]> {
          return ids;
        }
      }
      class NoTtl {
        @CacheableMany({ key: 'd:{0}' })
        async find(ids: number[]): Promise<number[]> {
          return ids;
        }
      }
      const t = new Ttls();
      await t.fromClass([1]);
      await t.fromOption([1]);
      await t.fromCacheTtl([1]);
      await new NoTtl().find([1]);
      expect(cache.getManys.map((g) => g.opts.ttl)).toEqual([300, 30, 5, undefined]);
      expect(cache.store.get('d:1')?.ttl).toBe(60);
    });

    it('computes a TTL per item from the item and the call arguments, and keeps items out with unless', async () => {
      class Dynamic {
        @CacheableMany({
          key: 'u:{0}',
          ttl: (user: User | null, ids: number[]) => (user === null ? 5 : 100 + ids.length),
          unless: (user: User | null) => user?.name === 'secret',
        })
        async find(ids: number[]): Promise<Array<User | null>> {
          return ids.map((id) => (id === 0 ? null : { id, name: id === 9 ? 'secret' : 'n' }));
        }
      }
      await new Dynamic().find([0, 1, 9]);
      expect(cache.store.get('u:0')?.ttl).toBe(5);
      expect(cache.store.get('u:1')?.ttl).toBe(103);
      expect(cache.store.has('u:9')).toBe(false);
    });

    it("keeps items out with unless under the manager's default TTL when none is configured", async () => {
      class Unless {
        @CacheableMany({ key: 'u:{0}', unless: (n: number) => n < 0 })
        async find(ids: number[]): Promise<number[]> {
          return ids;
        }
      }
      await new Unless().find([-1, 1]);
      expect([...cache.store.keys()]).toEqual(['u:1']);
      expect(cache.store.get('u:1')?.ttl).toBe(60);
    });

    it('calls the method unchanged, without the cache, when the condition is false', async () => {
      class Conditional {
        readonly calls: number[][] = [];
        @CacheableMany({ key: 'c:{0}', condition: (ids: number[]) => ids.length <= 2 })
        async find(ids: number[]): Promise<number[]> {
          this.calls.push(ids);
          return ids;
        }
      }
      const repo = new Conditional();
      const big = [1, 2, 3];
      expect(await repo.find(big)).toEqual([1, 2, 3]);
      expect(repo.calls[0]).toBe(big);
      expect(cache.getManys).toEqual([]);
      await repo.find([1, 2]);
      expect(cache.getManys).toHaveLength(1);
    });

    it('passes fixed or computed tags, and the serializer, to getMany', async () => {
      const serializer = new JsonSerializer();
      class Tagged {
        @CacheableMany({ key: 'a:{0}', tags: ['users'], serializer })
        async fixed(ids: number[]): Promise<number[]> {
          return ids;
        }
        @CacheableMany({ key: 'b:{0}', tags: (ids: number[]) => ids.map((id) => `user:${id}`) })
        async computed(ids: number[]): Promise<number[]> {
          return ids;
        }
        @CacheableMany({ key: 'c:{0}', tags: () => [] })
        async none(ids: number[]): Promise<number[]> {
          return ids;
        }
      }
      const tagged = new Tagged();
      await tagged.fixed([1]);
      await tagged.computed([1, 2]);
      await tagged.none([1]);
      expect(cache.getManys[0].opts).toEqual({
        label: 'Tagged.fixed',
        tags: ['users'],
        serializer,
      });
      expect(cache.getManys[1].opts.tags).toEqual(['user:1', 'user:2']);
      expect(cache.getManys[2].opts.tags).toBeUndefined();
    });

    it('turns type into a ClassTransformerSerializer for each item', async () => {
      class UserEntity {
        id = 0;
      }
      class Typed {
        @CacheableMany({ key: 'e:{0}', type: UserEntity })
        async find(ids: number[]): Promise<UserEntity[]> {
          return ids.map((id) => Object.assign(new UserEntity(), { id }));
        }
      }
      await new Typed().find([1]);
      expect(cache.getManys[0].opts.serializer).toBeInstanceOf(ClassTransformerSerializer);
    });

    it('reads through a named manager, from the decorator or from @CacheConfig', async () => {
      const other = new FakeCacheManager();
      CacheInterceptor.use(other, 'other');
      @CacheConfig({ manager: 'other' })
      class FromClass {
        @CacheableMany({ key: 'a:{0}' })
        async find(ids: number[]): Promise<number[]> {
          return ids;
        }
      }
      class FromOption {
        @CacheableMany({ key: 'b:{0}', manager: 'other' })
        async find(ids: number[]): Promise<number[]> {
          return ids;
        }
      }
      await new FromClass().find([1]);
      await new FromOption().find([1]);
      expect(other.getManys.map((g) => g.keys)).toEqual([['a:1'], ['b:1']]);
      expect(cache.getManys).toEqual([]);
    });
  });

  describe('misuse, refused when the class is defined', () => {
    it('an ids position that is not a non-negative integer', () => {
      for (const ids of [-1, 1.5, '0', null]) {
        expect(() => CacheableMany({ ids: ids as number })).toThrow(
          /@CacheableMany\(\) ids must be the position of the argument holding the ids/,
        );
      }
    });

    it('an option @CacheableMany does not have', () => {
      expect(() => CacheableMany({ grace: 5 } as object)).toThrow(
        /@CacheableMany\(\) has no option "grace"/,
      );
    });

    it('a template without the id, which would give every id one entry', () => {
      expect(() => CacheableMany({ key: 'users:all' })).toThrow(
        /does not contain the id \(\{0\}\)/,
      );
      expect(() => CacheableMany({ ids: 1, key: 'user:{0}' })).toThrow(
        /does not contain the id \(\{1\}\)/,
      );
    });

    it('a key function that never sees the id', () => {
      expect(() => CacheableMany({ key: () => 'all' })).toThrow(
        /key function declares 0 parameters, so it never sees the id/,
      );
      expect(() => CacheableMany({ ids: 1, key: (tenant: string) => tenant })).toThrow(
        /never sees the id \(argument 1\)/,
      );
    });

    it('a key that leaves out a declared parameter of the method', () => {
      expect(() => {
        class Loose {
          @CacheableMany({ key: 'user:{0}' })
          async find(ids: number[], _withDeleted: boolean): Promise<number[]> {
            return ids;
          }
        }
        return Loose;
      }).toThrow(/declares 2 parameters, and the key "user:\{0\}" leaves out argument 1/);
      expect(() => {
        class LooseFn {
          @CacheableMany({ key: (id: number) => `u:${id}` })
          async find(ids: number[], _withDeleted: boolean): Promise<number[]> {
            return ids;
          }
        }
        return LooseFn;
      }).toThrow(/the key function \(1 parameters\) leaves out argument 1/);
    });

    it('@CacheableMany beside @Cacheable or @CachePut, or twice', () => {
      const defineWith = (other: 'cacheable' | 'put' | 'many') => {
        const second =
          other === 'cacheable'
            ? Cacheable({ key: 'x' })
            : other === 'put'
              ? CachePut({ key: 'x' })
              : CacheableMany({ key: 'y:{0}' });
        class Twice {
          @second
          @CacheableMany({ key: 'x:{0}' })
          async find(ids: number[]): Promise<number[]> {
            return ids;
          }
        }
        return Twice;
      };
      expect(() => defineWith('cacheable')).toThrow(/has both @CacheableMany and @Cacheable/);
      expect(() => defineWith('put')).toThrow(/has both @CacheableMany and @CachePut/);
      expect(() => defineWith('many')).toThrow(/@CacheableMany appears twice/);
    });

    it('@Cacheable or @CachePut applied after @CacheableMany', () => {
      expect(() => {
        class Other {
          @CacheableMany({ key: 'x:{0}' })
          @Cacheable({ key: 'x' })
          async find(ids: number[]): Promise<number[]> {
            return ids;
          }
        }
        return Other;
      }).toThrow(/has both @CacheableMany and @Cacheable/);
      expect(() => {
        class Other {
          @CacheableMany({ key: 'x:{0}' })
          @CachePut({ key: 'x' })
          async find(ids: number[]): Promise<number[]> {
            return ids;
          }
        }
        return Other;
      }).toThrow(/has both @CacheableMany and @CachePut/);
    });
  });
});
