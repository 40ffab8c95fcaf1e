import { Cacheable, CacheConfig, CacheEvict, CacheInterceptor, CacheTtl } from '../../../lib';
import { FakeCacheManager } from './support/fake-manager';

/** A decorator of someone else's, to check the cache decorators live beside others. */
function Traced(log: string[]) {
  type Method = (...args: unknown[]) => unknown;
  // A decorator of either standard: (method, context) or (prototype, name, descriptor).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- its return must fit the legacy and the standard decorator signature
  return function traced(...args: unknown[]): any {
    const isStandard = args.length === 2;
    const descriptor = args[2] as PropertyDescriptor | undefined;
    const original = (isStandard ? args[0] : descriptor?.value) as Method;
    const wrapper = function (this: unknown, ...callArgs: unknown[]) {
      log.push('traced');
      return original.apply(this, callArgs);
    };
    if (isStandard) return wrapper;
    if (descriptor) descriptor.value = wrapper;
    return undefined;
  };
}

describe('decorated methods', () => {
  let cache: FakeCacheManager;

  beforeEach(() => {
    CacheInterceptor.reset();
    cache = new FakeCacheManager();
    CacheInterceptor.use(cache);
  });

  afterAll(() => CacheInterceptor.reset());

  describe('the wrapper', () => {
    class Repo {
      @Cacheable({ key: 'k:{0}' })
      @CacheTtl(10)
      @CacheEvict({ key: 'other' })
      async findById(id: number, _options?: object): Promise<number> {
        return id;
      }
    }

    it('keeps the name and length of the method', () => {
      expect(Repo.prototype.findById.name).toBe('findById');
      expect(Repo.prototype.findById.length).toBe(2);
    });

    it('wraps the method exactly once, however many cache decorators it has', async () => {
      const installed = Repo.prototype.findById;
      await new Repo().findById(1);
      expect(Repo.prototype.findById).toBe(installed);
      // one read and one eviction: not one layer per decorator
      expect(cache.log).toEqual(['get:k:1', 'invalidate:other']);
    });

    it('gives the same behaviour whatever the order of the decorators', async () => {
      class Reordered {
        @CacheEvict({ key: 'other' })
        @CacheTtl(10)
        @Cacheable({ key: 'k:{0}' })
        async findById(id: number): Promise<number> {
          return id;
        }
      }
      await new Reordered().findById(1);
      await new Repo().findById(2);
      expect(cache.log).toEqual(['get:k:1', 'invalidate:other', 'get:k:2', 'invalidate:other']);
      expect(cache.gets.map((g) => g.opts.ttl)).toEqual([10, 10]);
    });

    it('lives beside other decorators, above or below the cache ones', async () => {
      const log: string[] = [];
      class Mixed {
        @Traced(log)
        @Cacheable({ key: 'above' })
        @CacheTtl(3)
        async a(): Promise<number> {
          log.push('a');
          return 1;
        }

        @Cacheable({ key: 'below' })
        @CacheTtl(4)
        @Traced(log)
        async b(): Promise<number> {
          log.push('b');
          return 2;
        }
      }
      const m = new Mixed();
      expect([await m.a(), await m.a(), await m.b(), await m.b()]).toEqual([1, 1, 2, 2]);
      // outside the cache: traced on every call; inside: only when the method really runs
      expect(log).toEqual(['traced', 'a', 'traced', 'traced', 'b']);
      expect(cache.gets.map((g) => g.opts.ttl)).toEqual([3, 3, 4, 4]);
    });
  });

  describe('this and inheritance', () => {
    @CacheConfig({ namespace: 'base' })
    class BaseRepository {
      loads = 0;
      constructor(readonly table: string) {}

      @Cacheable({
        key(this: BaseRepository, id: number) {
          return `${this.table}:${id}`;
        },
      })
      async findById(id: number): Promise<string> {
        this.loads++;
        return `${this.table}#${id}`;
      }

      @Cacheable()
      async count(): Promise<number> {
        return this.table.length;
      }

      @Cacheable()
      async describe(): Promise<string> {
        return `base ${this.table}`;
      }
    }

    @CacheConfig({ namespace: 'users' })
    class UserRepository extends BaseRepository {
      constructor() {
        super('users');
      }

      // An override without a decorator is not cached.
      override async count(): Promise<number> {
        return 1000;
      }

      @Cacheable()
      override async describe(): Promise<string> {
        return `users over ${await super.describe()}`;
      }
    }

    class OrderRepository extends BaseRepository {
      constructor() {
        super('orders');
      }
    }

    it('runs the method with its own this', async () => {
      const users = new UserRepository();
      expect(await users.findById(1)).toBe('users#1');
      expect(users.loads).toBe(1);
    });

    it('gives a subclass the inherited method, its own this in key functions, and its own namespace', async () => {
      await new UserRepository().findById(1);
      await new OrderRepository().findById(1);
      expect(cache.gets.map((g) => g.key)).toEqual(['users:users:1', 'base:orders:1']);
    });

    it('keeps default keys of an inherited method apart per subclass', async () => {
      await new OrderRepository().describe();
      await new BaseRepository('x').describe();
      expect(cache.gets.map((g) => g.key)).toEqual([
        'base:OrderRepository(BaseRepository).describe:',
        'base:BaseRepository.describe:',
      ]);
      expect(cache.gets[0].opts.label).toBe('OrderRepository(BaseRepository).describe');
    });

    it('does not cache an override that has no decorator', async () => {
      const users = new UserRepository();
      expect(await users.count()).toBe(1000);
      expect(cache.gets).toHaveLength(0);
    });

    it('lets a decorated override call super.method(), each level under its own key', async () => {
      const users = new UserRepository();
      expect(await users.describe()).toBe('users over base users');
      expect(await users.describe()).toBe('users over base users');
      expect(cache.gets.map((g) => g.key)).toEqual([
        'users:UserRepository.describe:',
        'users:UserRepository(BaseRepository).describe:',
        'users:UserRepository.describe:',
      ]);
    });
  });

  describe('static methods', () => {
    class Settings {
      static loads = 0;

      @Cacheable({ key: 'setting:{0}' })
      static async get(name: string): Promise<string> {
        this.loads++;
        return `${name}=on`;
      }

      @Cacheable()
      static async all(): Promise<string[]> {
        return [];
      }

      @Cacheable()
      async all(): Promise<string[]> {
        return [];
      }
    }

    it('caches a static method with the class as this', async () => {
      expect(await Settings.get('dark')).toBe('dark=on');
      expect(await Settings.get('dark')).toBe('dark=on');
      expect(Settings.loads).toBe(1);
    });

    it('keeps a static and an instance method of the same name apart', async () => {
      await Settings.all();
      await new Settings().all();
      expect(cache.gets.map((g) => g.key)).toEqual(['Settings.static.all:', 'Settings.all:']);
    });
  });

  describe('concurrency', () => {
    it('sends concurrent calls on one key through the manager, which coalesces them', async () => {
      let loads = 0;
      class Slow {
        @Cacheable({ key: 'slow' })
        async get(): Promise<number> {
          loads++;
          await new Promise((r) => setTimeout(r, 5));
          return 42;
        }
      }
      // A manager that coalesces like CacheAsideManager's single-flight does.
      const inFlight = new Map<string, Promise<unknown>>();
      const get = cache.get.bind(cache);
      cache.get = ((key: string, loader: () => unknown, opts: object) => {
        let flight = inFlight.get(key);
        if (!flight) inFlight.set(key, (flight = get(key, loader, opts)));
        return flight;
      }) as typeof cache.get;
      const s = new Slow();
      expect(await Promise.all([s.get(), s.get(), new Slow().get()])).toEqual([42, 42, 42]);
      expect(loads).toBe(1);
    });
  });
});

describe('what other decorators put on a method', () => {
  /** A decorator of someone else's, in either standard, that marks the function it is given. */
  const Mark = ((...args: unknown[]): void => {
    const fn = (args.length === 2 ? args[0] : (args[2] as PropertyDescriptor).value) as Record<
      string,
      unknown
    >;
    fn.marked = 'yes';
  }) as unknown as MethodDecorator &
    ((value: unknown, context: ClassMethodDecoratorContext) => void);

  it('stays visible on the cached method when that decorator sits below the cache decorator', () => {
    class Repo {
      @Cacheable({ key: 'k' })
      @Mark
      async find(): Promise<number> {
        return 1;
      }
    }
    expect((Repo.prototype.find as unknown as Record<string, unknown>).marked).toBe('yes');
  });
});
