import 'reflect-metadata';
import { Cacheable, CacheInterceptor, type ManagerScope } from '../../../lib';
import type { CacheAsideExplorer } from '../../../lib/nestjs/cache-aside.explorer';
import { RequestScopeMiddleware } from '../../../lib/nestjs/request-scope.middleware';
import { createInMemoryManager } from '../../../lib/testing';

class Repo {
  @Cacheable({ key: 'r:{0}' })
  async find(id: number): Promise<number> {
    return id;
  }
}

/** The middleware over an explorer whose request scope is `scope` (none after shutdown). */
const middlewareWith = (scope: ManagerScope | undefined): RequestScopeMiddleware =>
  new RequestScopeMiddleware({ requestScope: scope } as CacheAsideExplorer);

/** Runs the middleware and, as the rest of the request, one decorated call. */
function handle(middleware: RequestScopeMiddleware): Promise<number> {
  return new Promise((resolve, reject) => {
    middleware.use({}, {}, () => {
      new Repo().find(1).then(resolve, reject);
    });
  });
}

describe('RequestScopeMiddleware', () => {
  const app = createInMemoryManager({ keyPrefix: 'app:' });
  const registry = createInMemoryManager({ keyPrefix: 'registry:' });

  beforeEach(() => {
    CacheInterceptor.reset();
    CacheInterceptor.use(registry);
  });

  afterAll(async () => {
    CacheInterceptor.reset();
    await Promise.all([app.close(), registry.close()]);
  });

  it("runs the rest of the request in the application's scope", async () => {
    await handle(middlewareWith({ manager: (name) => (name === 'default' ? app : undefined) }));
    expect(app.stats().misses).toBe(1);
    expect(registry.stats().misses).toBe(0);
  });

  it('passes the request on untouched once the application has shut down (no scope)', async () => {
    await handle(middlewareWith(undefined));
    expect(registry.stats().misses).toBe(1);
  });
});
