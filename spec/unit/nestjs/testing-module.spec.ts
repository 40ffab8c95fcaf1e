import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { CacheEvict, Cacheable, CacheInterceptor, type CacheAsideManager } from '../../../lib';
import { CacheAsideModule, InjectCacheAside, getCacheAsideToken } from '../../../lib/nestjs';
import { createInMemoryManager } from '../../../lib/testing';

/** What a user's service looks like; the two examples below are what docs/nestjs.md shows. */
@Injectable()
class UsersService {
  loads = 0;
  constructor(@InjectCacheAside() readonly cache: CacheAsideManager) {}

  @Cacheable({ key: 'user:{0}' })
  async findById(id: number): Promise<{ id: number; load: number }> {
    return { id, load: ++this.loads };
  }

  updates: number[] = [];

  @CacheEvict({ key: 'user:{0}' })
  async update(id: number): Promise<void> {
    this.updates.push(id); // the database write
  }
}

describe('testing a Nest service that uses the cache', () => {
  describe('against an in-memory manager (no Redis)', () => {
    let moduleRef: TestingModule;
    let memory: CacheAsideManager;

    beforeEach(async () => {
      memory = createInMemoryManager({ keyPrefix: 'test:' });
      moduleRef = await Test.createTestingModule({
        imports: [CacheAsideModule.forRoot({ redis: { url: 'redis://never-used:6379' } })],
        providers: [UsersService],
      })
        .overrideProvider(getCacheAsideToken())
        .useValue(memory)
        .compile();
      await moduleRef.init();
    });

    afterEach(async () => {
      await moduleRef.close();
      await memory.close();
    });

    it('caches and evicts with the same semantics as on Redis', async () => {
      const users = moduleRef.get(UsersService);
      expect(users.cache).toBe(memory);
      expect(await users.findById(1)).toEqual({ id: 1, load: 1 });
      expect(await users.findById(1)).toEqual({ id: 1, load: 1 });
      await users.update(1);
      expect(await users.findById(1)).toEqual({ id: 1, load: 2 });
      expect(memory.stats()).toMatchObject({ hits: 1, misses: 2 });
    });
  });

  describe('with caching turned off (CacheInterceptor.disable)', () => {
    beforeAll(() => {
      CacheInterceptor.disable();
    });
    afterAll(() => {
      CacheInterceptor.enable();
    });

    it('runs every call of the decorated methods, with a plain stand-in for the manager', async () => {
      const moduleRef = await Test.createTestingModule({
        providers: [UsersService, { provide: getCacheAsideToken(), useValue: {} }],
      }).compile();
      const users = moduleRef.get(UsersService);
      expect(await users.findById(1)).toEqual({ id: 1, load: 1 });
      expect(await users.findById(1)).toEqual({ id: 1, load: 2 });
      await moduleRef.close();
    });
  });
});
