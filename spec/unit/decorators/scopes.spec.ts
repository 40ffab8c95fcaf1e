import {
  Cacheable,
  CacheEvict,
  CacheInterceptor,
  CachePut,
  DEFAULT_MANAGER_NAME,
  type CacheManagerPort,
  type ManagerScope,
} from '../../../lib';
import { FakeCacheManager } from './support/fake-manager';

/** A scope over a fixed map of managers, counting how often it is asked. */
function scopeOf(managers: Record<string, CacheManagerPort>): ManagerScope & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    manager(name: string) {
      asked.push(name);
      return managers[name];
    },
  };
}

class Repo {
  loads = 0;

  @Cacheable({ key: 'r:{0}' })
  async find(id: number): Promise<string> {
    this.loads++;
    return `row ${id}`;
  }

  @Cacheable({ key: 's:{0}', manager: 'sessions' })
  async session(id: number): Promise<string> {
    this.loads++;
    return `session ${id}`;
  }

  @CachePut({ key: 'r:{0}' })
  async save(id: number): Promise<string> {
    return `saved ${id}`;
  }

  @CacheEvict({ key: 'r:{0}' })
  async remove(id: number): Promise<number> {
    return id;
  }
}

describe('CacheInterceptor.bind / unbind: per-application managers', () => {
  let global: FakeCacheManager;

  beforeEach(() => {
    global = new FakeCacheManager();
    CacheInterceptor.reset();
    CacheInterceptor.use(global);
  });

  afterEach(() => CacheInterceptor.reset());

  it('names the default manager "default"', () => {
    expect(DEFAULT_MANAGER_NAME).toBe('default');
  });

  it('sends a bound instance to its scope only, and unbound instances to the registry', async () => {
    const appA = new FakeCacheManager();
    const appB = new FakeCacheManager();
    const a = new Repo();
    const b = new Repo();
    const loose = new Repo();
    CacheInterceptor.bind(a, scopeOf({ default: appA }));
    CacheInterceptor.bind(b, scopeOf({ default: appB }));
    try {
      await a.find(1);
      await b.find(1);
      await loose.find(1);
      expect(appA.gets.map((g) => g.key)).toEqual(['r:1']);
      expect(appB.gets.map((g) => g.key)).toEqual(['r:1']);
      expect(global.gets.map((g) => g.key)).toEqual(['r:1']);
      // Puts and evictions follow the same scope.
      await a.save(2);
      await a.remove(2);
      expect(appA.sets.map((s) => s.key)).toEqual(['r:2']);
      expect(appA.invalidations).toEqual([['r:2']]);
      expect(global.sets).toEqual([]);
    } finally {
      CacheInterceptor.unbind(a);
      CacheInterceptor.unbind(b);
    }
  });

  it('asks the scope once per method, and again after bind', async () => {
    const app = new FakeCacheManager();
    const scope = scopeOf({ default: app });
    const repo = new Repo();
    CacheInterceptor.bind(repo, scope);
    try {
      await repo.find(1);
      await repo.find(1);
      await repo.find(2);
      expect(scope.asked).toEqual(['default']);
      const other = new FakeCacheManager();
      CacheInterceptor.bind(repo, scopeOf({ default: other }));
      await repo.find(3);
      expect(other.gets.map((g) => g.key)).toEqual(['r:3']);
    } finally {
      CacheInterceptor.unbind(repo);
    }
  });

  it('rejects a name the scope does not provide, naming it, even if the registry has it', async () => {
    CacheInterceptor.use(new FakeCacheManager(), 'sessions');
    const repo = new Repo();
    CacheInterceptor.bind(repo, scopeOf({ default: new FakeCacheManager() }));
    try {
      await expect(repo.session(1)).rejects.toMatchObject({
        code: 'ERR_CACHE_ASIDE_NO_MANAGER',
        message: expect.stringContaining('"sessions"') as unknown,
      });
      expect(repo.loads).toBe(0);
    } finally {
      CacheInterceptor.unbind(repo);
    }
  });

  it('after unbind, the instance uses the registry again', async () => {
    const app = new FakeCacheManager();
    const repo = new Repo();
    CacheInterceptor.bind(repo, scopeOf({ default: app }));
    await repo.find(1);
    CacheInterceptor.unbind(repo);
    CacheInterceptor.unbind(repo); // twice is harmless
    await repo.find(1);
    expect(app.gets).toHaveLength(1);
    expect(global.gets).toHaveLength(1);
  });

  it('survives a registry reset: a bound instance does not need the static registry', async () => {
    const app = new FakeCacheManager();
    const repo = new Repo();
    CacheInterceptor.bind(repo, scopeOf({ default: app }));
    try {
      CacheInterceptor.reset();
      await expect(repo.find(1)).resolves.toBe('row 1');
      await expect(new Repo().find(1)).rejects.toThrow(/no cache manager is registered/);
    } finally {
      CacheInterceptor.unbind(repo);
    }
  });

  it('refuses what is not an instance or a scope', () => {
    expect(() => CacheInterceptor.bind(null as never, scopeOf({}))).toThrow(TypeError);
    expect(() => CacheInterceptor.bind(new Repo(), {} as never)).toThrow(
      /scope must be an object with a manager\(name\) method/,
    );
  });
});
