import { AsyncLocalStorage } from 'node:async_hooks';
import { Cacheable, CacheConfig, CacheEvict, CacheInterceptor, CachePut } from '../../../lib';
import { FakeCacheManager } from './support/fake-manager';

/*
 * Issue #11, items 3-5 and tenants: keys of decorated methods never collide across namespaces,
 * template values or tenants, and invalidations never reach across them.
 */

/** The bytes Redis would receive for a key (ioredis and node-redis send strings as UTF-8). */
const bytes = (key: string) => Buffer.from(key, 'utf8').toString('hex');

describe('key isolation', () => {
  let cache: FakeCacheManager;

  beforeEach(() => {
    cache = new FakeCacheManager();
    CacheInterceptor.reset();
    CacheInterceptor.use(cache);
  });

  afterEach(() => CacheInterceptor.reset());

  describe('namespaces (#11.3)', () => {
    @CacheConfig({ namespace: 'users' })
    class Users {
      @Cacheable({ key: '{0}' })
      async find(id: string): Promise<string> {
        return `user ${id}`;
      }

      @CacheEvict({ allEntries: true })
      async clear(): Promise<void> {}
    }

    @CacheConfig({ namespace: 'users:admin' })
    class Admins {
      @Cacheable({ key: '{0}' })
      async find(id: string): Promise<string> {
        return `admin ${id}`;
      }
    }

    it('allEntries on "users" leaves the entries of namespace "users:admin"', async () => {
      await new Users().find('1');
      await new Admins().find('1');
      expect(cache.store.size).toBe(2);
      await new Users().clear();
      expect(cache.store.size).toBe(1);
      expect([...cache.store.values()].map((e) => e.value)).toEqual(['admin 1']);
    });

    it('a namespace and a key never meet another (namespace, key) pair', async () => {
      await new Users().find('admin:1');
      await new Admins().find('1');
      expect(cache.store.size).toBe(2);
    });
  });

  describe('template values (#11.4)', () => {
    class Members {
      loads = 0;

      @Cacheable({ key: '{0}:user:{1}' })
      async find(tenant: string, id: string): Promise<string> {
        this.loads++;
        return `${tenant}/${id}`;
      }

      @Cacheable({ key: '{0}:{1}' })
      async row(tenant: string, id: string): Promise<string> {
        return `${tenant}/${id}`;
      }

      @CacheEvict({ pattern: '{0}:*' })
      async purge(tenant: string): Promise<string> {
        return tenant;
      }
    }

    it('("acme:user:1", "2") and ("acme", "1:user:2") render different keys', async () => {
      const members = new Members();
      await expect(members.find('acme:user:1', '2')).resolves.toBe('acme:user:1/2');
      await expect(members.find('acme', '1:user:2')).resolves.toBe('acme/1:user:2');
      expect(members.loads).toBe(2);
      expect(new Set(cache.gets.map((g) => g.key)).size).toBe(2);
    });

    it('a pattern {0}:* with "acme" does not match the entries of "acme:eu"', async () => {
      const members = new Members();
      await members.row('acme', '1');
      await members.row('acme:eu', '1');
      await members.purge('acme');
      expect([...cache.store.values()].map((e) => e.value)).toEqual(['acme:eu/1']);
    });

    it('escapes the escape character itself', async () => {
      const members = new Members();
      await members.row('a%3Ab', '1');
      await members.row('a:b', '1');
      expect(cache.store.size).toBe(2);
    });

    it('keeps plain values (letters, digits, -, _, .) as they are', async () => {
      await new Members().find('Acme-eu_2.x', '42');
      expect(cache.gets[0].key).toBe('Acme-eu_2.x:user:42');
    });
  });

  describe('lone surrogates in template values (#11.5)', () => {
    class Texts {
      @Cacheable({ key: 't:{0}' })
      async find(text: string): Promise<string> {
        return text;
      }
    }

    it('"x\\uD800", "x\\uDFFF" and "x\\uFFFD" are three keys as Redis sees them', async () => {
      const texts = new Texts();
      for (const text of ['x\uD800', 'x\uDFFF', 'x\uFFFD', 'x\uD83D\uDE00']) await texts.find(text);
      const keys = cache.gets.map((g) => bytes(g.key));
      expect(new Set(keys).size).toBe(4);
    });

    it('namespaces "n\\uD800" and "n\\uFFFD" are two, and allEntries of one leaves the other', async () => {
      @CacheConfig({ namespace: 'n\uD800' })
      class Lone {
        @Cacheable({ key: '{0}' })
        async find(id: string): Promise<string> {
          return `lone ${id}`;
        }

        @CacheEvict({ allEntries: true })
        async clear(): Promise<void> {}
      }
      @CacheConfig({ namespace: 'n\uFFFD' })
      class Replaced {
        @Cacheable({ key: '{0}' })
        async find(id: string): Promise<string> {
          return `replaced ${id}`;
        }
      }
      await new Lone().find('1');
      await new Replaced().find('1');
      expect(new Set(cache.gets.map((g) => bytes(g.key))).size).toBe(2);
      await new Lone().clear();
      expect([...cache.store.values()].map((e) => e.value)).toEqual(['replaced 1']);
    });
  });
});

describe('tenants', () => {
  let cache: FakeCacheManager;
  const requestTenant = new AsyncLocalStorage<string>();

  beforeEach(() => {
    cache = new FakeCacheManager();
    CacheInterceptor.reset();
    CacheInterceptor.use(cache);
  });

  afterEach(() => CacheInterceptor.reset());

  /** One repository per tenant: the tenant read from the instance. */
  @CacheConfig({
    namespace: 'orders',
    tenant(this: OrdersOfTenant) {
      return this.tenant;
    },
  })
  class OrdersOfTenant {
    loads = 0;
    constructor(readonly tenant: string) {}

    @Cacheable({ key: '{0}', tags: ['orders'] })
    async find(id: number): Promise<string> {
      this.loads++;
      return `${this.tenant} order ${id}`;
    }

    @CachePut({ key: '{0}' })
    async save(id: number): Promise<string> {
      return `${this.tenant} saved ${id}`;
    }

    @CacheEvict({ allEntries: true })
    async clear(): Promise<void> {}

    @CacheEvict({ pattern: '*' })
    async purge(): Promise<void> {}

    @CacheEvict({ tags: ['orders'] })
    async untag(): Promise<void> {}
  }

  /** One shared service: the tenant read from the request's context. */
  @CacheConfig({ namespace: 'orders', tenant: () => requestTenant.getStore() ?? 'none' })
  class SharedOrders {
    loads = 0;

    @Cacheable({ key: '{0}' })
    async find(id: number): Promise<string> {
      this.loads++;
      return `${requestTenant.getStore()} order ${id}`;
    }

    @CacheEvict({ allEntries: true })
    async clear(): Promise<void> {}
  }

  it('two tenants calling the same method with the same arguments get their own entries', async () => {
    const acme = new OrdersOfTenant('acme');
    const globex = new OrdersOfTenant('globex');
    await expect(acme.find(1)).resolves.toBe('acme order 1');
    await expect(globex.find(1)).resolves.toBe('globex order 1');
    await expect(acme.find(1)).resolves.toBe('acme order 1');
    expect([acme.loads, globex.loads]).toEqual([1, 1]);
  });

  it('allEntries, patterns and tags in one tenant leave the other alone', async () => {
    const acme = new OrdersOfTenant('acme');
    const acmeEu = new OrdersOfTenant('acme:eu');
    for (const clear of [() => acme.clear(), () => acme.purge(), () => acme.untag()]) {
      cache.store.clear();
      await acme.find(1);
      await acmeEu.find(1);
      const loads = acmeEu.loads;
      await clear();
      expect(cache.store.size).toBe(1);
      await acmeEu.find(1);
      expect(acmeEu.loads).toBe(loads);
    }
    expect(cache.tagInvalidations.flat()).toHaveLength(1);
    expect(cache.tagInvalidations[0]).not.toContain('orders');
  });

  it('writes through the same tenant key as reads', async () => {
    const acme = new OrdersOfTenant('acme');
    await acme.save(1);
    await expect(acme.find(1)).resolves.toBe('acme saved 1');
    expect(acme.loads).toBe(0);
  });

  it('resolves the tenant per call, from a request context', async () => {
    const orders = new SharedOrders();
    const a = await requestTenant.run('acme', () => orders.find(1));
    const b = await requestTenant.run('globex', () => orders.find(1));
    expect([a, b]).toEqual(['acme order 1', 'globex order 1']);
    await requestTenant.run('acme', () => orders.clear());
    await requestTenant.run('globex', () => orders.find(1));
    await requestTenant.run('acme', () => orders.find(1));
    expect(orders.loads).toBe(3);
  });

  it('refuses a tenant function that is not a function, and a tenant that is not a string', async () => {
    expect(() => CacheConfig({ tenant: 'acme' as never })).toThrow(/tenant must be a function/);
    const broken = new OrdersOfTenant('');
    await expect(broken.find(1)).rejects.toThrow(/tenant .*returned an empty string/);
  });
});
