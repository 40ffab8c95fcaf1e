import { Cacheable, CacheEvict, CacheInterceptor, CachePut, CacheTypeError } from '../../../lib';
import { FakeCacheManager } from './support/fake-manager';

class Repo {
  loads = 0;

  @Cacheable({ key: 'r:{0}' })
  async find(id: number): Promise<string> {
    this.loads++;
    return `row ${id}`;
  }

  @CachePut({ key: 'r:{0}' })
  async save(id: number): Promise<string> {
    return `saved ${id}`;
  }

  @CacheEvict({ key: 'r:{0}' })
  async remove(id: number): Promise<number> {
    if (id < 0) throw new Error('negative');
    return id;
  }
}

describe('CacheInterceptor.disable() / enable()', () => {
  afterEach(() => {
    CacheInterceptor.enable();
    CacheInterceptor.reset();
  });

  it('runs decorated methods uncached, every call, with no manager registered', async () => {
    CacheInterceptor.reset();
    CacheInterceptor.disable();
    expect(CacheInterceptor.disabled).toBe(true);
    const repo = new Repo();
    await expect(repo.find(1)).resolves.toBe('row 1');
    await expect(repo.find(1)).resolves.toBe('row 1');
    expect(repo.loads).toBe(2);
    await expect(repo.save(2)).resolves.toBe('saved 2');
    await expect(repo.remove(3)).resolves.toBe(3);
    await expect(repo.remove(-1)).rejects.toThrow('negative');
  });

  it('touches no registered manager while disabled, and caches again after enable()', async () => {
    const cache = new FakeCacheManager();
    CacheInterceptor.use(cache);
    const repo = new Repo();
    CacheInterceptor.disable();
    await repo.find(1);
    await repo.save(1);
    await repo.remove(1);
    expect(cache.log).toEqual([]);
    CacheInterceptor.enable();
    expect(CacheInterceptor.disabled).toBe(false);
    await repo.find(1);
    await repo.find(1);
    expect(cache.log).toEqual(['get:r:1', 'get:r:1']);
    expect(repo.loads).toBe(2); // one while disabled, one miss after
  });
});

describe('CacheInterceptor where NestJS expects an interceptor (@UseInterceptors)', () => {
  const fix =
    /not a NestJS interceptor.*@nestjs\/cache-manager's CacheInterceptor.*@Cacheable.*CacheAsideModule from 'cache-aside\/nestjs'/;

  it('is not mistaken for an interceptor object (Nest then calls intercept on the class itself)', () => {
    // Nest's InterceptorsContextCreator uses the class as the interceptor when it has `intercept`.
    expect((CacheInterceptor as unknown as { intercept?: unknown }).intercept).toBeUndefined();
  });

  it('fails when Nest instantiates it (bootstrap), with a coded error naming the fix', () => {
    // Nest's injector: a prototype first, then `new metatype(...dependencies)`.
    const Metatype = CacheInterceptor as unknown as new () => {
      intercept(context: unknown, next: unknown): unknown;
    };
    Object.create(Metatype.prototype as object);
    let thrown: unknown;
    try {
      new Metatype();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CacheTypeError);
    expect(thrown).toMatchObject({ code: 'ERR_CACHE_ASIDE_DECORATOR_MISUSE' });
    expect((thrown as Error).message).toMatch(fix);
  });

  it('fails on first use too, if something calls intercept(context, next) on an instance', () => {
    const instance = Object.create(CacheInterceptor.prototype) as {
      intercept(context: unknown, next: unknown): unknown;
    };
    const context = { getClass: () => Object, getHandler: () => () => undefined };
    const next = { handle: () => undefined };
    expect(() => instance.intercept(context, next)).toThrow(fix);
  });
});
