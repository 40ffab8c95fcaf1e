import { Cacheable, CacheInterceptor } from '../../../lib';
import { FakeCacheManager } from './support/fake-manager';

class Repo {
  @Cacheable({ key: 'r:{0}' })
  async find(id: number): Promise<string> {
    return `row ${id}`;
  }

  @Cacheable({ key: 's:{0}', manager: 'sessions' })
  async session(id: number): Promise<string> {
    return `session ${id}`;
  }
}

describe('CacheInterceptor.forget(manager, name?)', () => {
  afterEach(() => CacheInterceptor.reset());

  it('unregisters the manager registered under the name, so calls say none is registered', async () => {
    const manager = new FakeCacheManager();
    CacheInterceptor.use(manager);
    expect(await new Repo().find(1)).toBe('row 1');
    expect(CacheInterceptor.forget(manager)).toBe(true);
    await expect(new Repo().find(2)).rejects.toThrow(/no cache manager is registered/);
    expect(manager.gets.map((g) => g.key)).toEqual(['r:1']);
  });

  it('leaves a manager registered under that name since in place', async () => {
    const closing = new FakeCacheManager();
    const newer = new FakeCacheManager();
    CacheInterceptor.use(closing, 'sessions');
    CacheInterceptor.use(newer, 'sessions');
    expect(CacheInterceptor.forget(closing, 'sessions')).toBe(false);
    await new Repo().session(1);
    expect(newer.gets.map((g) => g.key)).toEqual(['s:1']);
    expect(closing.gets).toEqual([]);
  });

  it('forgets only the name given', async () => {
    const shared = new FakeCacheManager();
    CacheInterceptor.use(shared);
    CacheInterceptor.use(shared, 'sessions');
    expect(CacheInterceptor.forget(shared, 'sessions')).toBe(true);
    expect(CacheInterceptor.forget(shared, 'sessions')).toBe(false);
    await new Repo().find(1);
    await expect(new Repo().session(1)).rejects.toThrow(/"sessions", which is not registered/);
  });
});
