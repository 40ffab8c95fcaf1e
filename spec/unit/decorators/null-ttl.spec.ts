import { Cacheable, CacheableMany, CacheConfig, CacheInterceptor, CachePut } from '../../../lib';
import { FakeCacheManager } from './support/fake-manager';

/** The options a call handed to the manager, with the null policy this spec looks at. */
type WithNullTtl = { nullTtl?: number | false };

describe('nullTtl on the decorators', () => {
  let cache: FakeCacheManager;

  beforeEach(() => {
    cache = new FakeCacheManager();
    CacheInterceptor.reset();
    CacheInterceptor.use(cache);
  });

  afterEach(() => CacheInterceptor.reset());

  @CacheConfig({ nullTtl: 5 })
  class Users {
    @Cacheable({ key: 'u:{0}', nullTtl: false })
    async find(id: number): Promise<string | null> {
      return id > 0 ? `user ${id}` : null;
    }

    @Cacheable({ key: 'c:{0}' })
    async fromClass(id: number): Promise<string | null> {
      return id > 0 ? `user ${id}` : null;
    }

    @Cacheable({ key: 'd:{0}', ttl: (v: unknown) => (v ? 60 : 1) })
    async dynamic(id: number): Promise<string | null> {
      return id > 0 ? `user ${id}` : null;
    }

    @CacheableMany({ key: 'm:{0}', nullTtl: 2 })
    async many(ids: number[]): Promise<Array<string | null>> {
      return ids.map(() => null);
    }

    @CachePut({ key: 'u:{0}', nullTtl: false })
    async save(id: number): Promise<string | null> {
      return id > 0 ? `user ${id}` : null;
    }
  }

  class Plain {
    @Cacheable({ key: 'p:{0}' })
    async find(id: number): Promise<number> {
      return id;
    }
  }

  it('passes the method nullTtl over the class one to reads and writes', async () => {
    const users = new Users();
    await users.find(1);
    await users.fromClass(1);
    await users.dynamic(1);
    await users.many([1, 2]);
    await users.save(0);
    expect(cache.gets.map((g) => (g.opts as WithNullTtl).nullTtl)).toEqual([false, 5, 5]);
    expect((cache.getManys[0].opts as WithNullTtl).nullTtl).toBe(2);
    expect((cache.sets[0].opts as WithNullTtl).nullTtl).toBe(false);
  });

  it('passes nothing when neither the method nor the class sets it (the manager decides)', async () => {
    await new Plain().find(1);
    expect('nullTtl' in cache.gets[0].opts).toBe(false);
  });

  it('is validated at decoration: false or seconds, nothing else', () => {
    expect(() => Cacheable({ nullTtl: true as never })).toThrow(
      /@Cacheable\(\) nullTtl must be false \(do not store null\/undefined results\) or a number/,
    );
    expect(() => CachePut({ nullTtl: 0 })).toThrow(RangeError);
    expect(() => CacheableMany({ nullTtl: -1 })).toThrow(/nullTtl must be a positive number/);
    expect(() => CacheConfig({ nullTtl: 'x' as never })).toThrow(TypeError);
    expect(() => Cacheable({ nullTtl: Infinity })).not.toThrow();
  });
});
