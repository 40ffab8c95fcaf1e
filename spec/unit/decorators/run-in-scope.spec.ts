import {
  Cacheable,
  CacheInterceptor,
  type CacheManagerPort,
  type ManagerScope,
} from '../../../lib';
import { FakeCacheManager } from './support/fake-manager';

class Repo {
  @Cacheable({ key: 'r:{0}' })
  async find(id: number): Promise<string> {
    return `row ${id}`;
  }
}

const scopeOf = (managers: Record<string, CacheManagerPort>): ManagerScope => ({
  manager: (name) => managers[name],
});

describe('CacheInterceptor.runInScope(scope, fn)', () => {
  let registry: FakeCacheManager;

  beforeEach(() => {
    registry = new FakeCacheManager();
    CacheInterceptor.reset();
    CacheInterceptor.use(registry);
  });

  afterEach(() => CacheInterceptor.reset());

  it("sends unbound instances' calls in the context, and after its awaits, to the scope", async () => {
    const scoped = new FakeCacheManager();
    const result = await CacheInterceptor.runInScope(scopeOf({ default: scoped }), async () => {
      const repo = new Repo();
      const first = await repo.find(1);
      await new Promise((resolve) => setImmediate(resolve));
      return [first, await repo.find(2)];
    });
    expect(result).toEqual(['row 1', 'row 2']);
    expect(scoped.gets.map((g) => g.key)).toEqual(['r:1', 'r:2']);
    await new Repo().find(3); // outside the context: the registry
    expect(registry.gets.map((g) => g.key)).toEqual(['r:3']);
  });

  it('keeps two concurrent contexts apart', async () => {
    const a = new FakeCacheManager();
    const b = new FakeCacheManager();
    const scopeA = scopeOf({ default: a });
    const scopeB = scopeOf({ default: b });
    const run = (scope: ManagerScope, id: number) =>
      CacheInterceptor.runInScope(scope, async () => {
        await new Promise((resolve) => setImmediate(resolve));
        return new Repo().find(id);
      });
    await Promise.all([run(scopeA, 1), run(scopeB, 2), run(scopeA, 3)]);
    expect(a.gets.map((g) => g.key)).toEqual(['r:1', 'r:3']);
    expect(b.gets.map((g) => g.key)).toEqual(['r:2']);
  });

  it('leaves a bound instance on its own scope', async () => {
    const own = new FakeCacheManager();
    const context = new FakeCacheManager();
    const bound = new Repo();
    CacheInterceptor.bind(bound, scopeOf({ default: own }));
    try {
      await CacheInterceptor.runInScope(scopeOf({ default: context }), () => bound.find(1));
      expect(own.gets.map((g) => g.key)).toEqual(['r:1']);
      expect(context.gets).toEqual([]);
    } finally {
      CacheInterceptor.unbind(bound);
    }
  });

  it('takes a name the scope does not provide from the registry, as it is at each call', async () => {
    const scope = scopeOf({});
    await CacheInterceptor.runInScope(scope, () => new Repo().find(1));
    const replaced = new FakeCacheManager();
    CacheInterceptor.use(replaced);
    await CacheInterceptor.runInScope(scope, () => new Repo().find(2));
    expect(registry.gets.map((g) => g.key)).toEqual(['r:1']);
    expect(replaced.gets.map((g) => g.key)).toEqual(['r:2']);
  });

  it('refuses a scope without manager(name), and a fn that is not a function', () => {
    expect(() => CacheInterceptor.runInScope({} as ManagerScope, () => 1)).toThrow(
      /runInScope\(scope, fn\): scope must be an object with a manager\(name\) method/,
    );
    expect(() =>
      CacheInterceptor.runInScope(scopeOf({}), 'nope' as unknown as () => number),
    ).toThrow(/fn must be a function, got/);
  });
});
