import 'reflect-metadata';
import { Injectable, Scope, type DynamicModule, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Cacheable, CacheConfig, CacheEvict, CacheInterceptor } from '../../../lib';
import { CacheAsideModule, getCacheAsideToken } from '../../../lib/nestjs';
import { createInMemoryManager } from '../../../lib/testing';

@Injectable()
@CacheConfig({ manager: 'sessions' })
class SessionsService {
  @Cacheable({ key: 'session:{0}' })
  async find(token: string): Promise<string> {
    return token;
  }
}

@Injectable({ scope: Scope.REQUEST })
class ReportsService {
  @Cacheable({ key: 'report:{0}', manager: 'reports' })
  async report(id: number): Promise<number> {
    return id;
  }
}

@Injectable()
class UsersService {
  @Cacheable({ key: 'user:{0}' })
  async find(id: number): Promise<number> {
    return id;
  }

  @CacheEvict({ key: 'user:{0}', manager: 'audit' })
  async update(id: number): Promise<number> {
    return id;
  }
}

/** `forRoot` under each name, every manager in memory (no Redis), for `providers`. */
async function init(names: string[], providers: Type[]): Promise<void> {
  const imports: DynamicModule[] = names.map((name) =>
    CacheAsideModule.forRoot({ name, redis: { url: 'redis://never-used:6379' } }),
  );
  let builder = Test.createTestingModule({ imports, providers });
  const managers = names.map(() => createInMemoryManager());
  names.forEach((name, i) => {
    builder = builder.overrideProvider(getCacheAsideToken(name)).useValue(managers[i]);
  });
  const moduleRef = await builder.compile();
  try {
    await moduleRef.init();
  } finally {
    await moduleRef.close();
    await Promise.all(managers.map((m) => m.close()));
  }
}

describe('CacheAsideModule at bootstrap: every manager a decorated method uses is registered', () => {
  afterEach(() => CacheInterceptor.reset());

  it('fails init naming the class, the method, the missing name and the import to add', async () => {
    const failure = init(['default'], [SessionsService]);
    await expect(failure).rejects.toMatchObject({ code: 'ERR_CACHE_ASIDE_NO_MANAGER' });
    await expect(init(['default'], [SessionsService])).rejects.toThrow(
      /\[cache-aside\] .*\(registered: "default"\)\. Missing the cache manager "sessions", used by SessionsService\.find: import CacheAsideModule\.forRootAsync\(\{ name: 'sessions', \.\.\. \}\)/,
    );
  });

  it('names the default manager and forRoot when only named managers are registered', async () => {
    await expect(init(['sessions'], [UsersService, SessionsService])).rejects.toThrow(
      /Missing the cache manager "default", used by UsersService\.find: import CacheAsideModule\.forRoot\(\{ redis, \.\.\. \}\).*the cache manager "audit", used by UsersService\.update/,
    );
  });

  it('checks request-scoped providers too, by their class', async () => {
    await expect(init(['default'], [ReportsService])).rejects.toThrow(
      /"reports", used by ReportsService\.report/,
    );
  });

  it('reads request-scoped factory providers and prototype-less values without failing', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheAsideModule.forRoot({ redis: { url: 'redis://never-used:6379' } })],
      providers: [
        { provide: 'PER_REQUEST', scope: Scope.REQUEST, useFactory: () => ({ made: true }) },
        { provide: 'BARE', useValue: Object.create(null) as object },
      ],
    })
      .overrideProvider(getCacheAsideToken())
      .useValue(createInMemoryManager())
      .compile();
    await expect(moduleRef.init()).resolves.toBe(moduleRef);
    await moduleRef.close();
  });

  it('names a class without a name as such', async () => {
    @Injectable()
    class Anonymous {
      @Cacheable({ key: 'a', manager: 'nowhere' })
      async find(): Promise<number> {
        return 1;
      }
    }
    Object.defineProperty(Anonymous, 'name', { value: '' });
    await expect(init(['default'], [Anonymous])).rejects.toThrow(
      /"nowhere", used by an anonymous class\.find/,
    );
  });

  it('starts when every manager is registered', async () => {
    await expect(
      init(
        ['default', 'sessions', 'audit', 'reports'],
        [UsersService, SessionsService, ReportsService],
      ),
    ).resolves.toBeUndefined();
  });

  it('without CacheAsideModule at all (no code of the module runs), names forRoot at the first call', async () => {
    @Injectable()
    class PlainService {
      @Cacheable({ key: 'plain:{0}' })
      async find(id: number): Promise<number> {
        return id;
      }
    }
    const moduleRef = await Test.createTestingModule({ providers: [PlainService] }).compile();
    await moduleRef.init();
    await expect(moduleRef.get(PlainService).find(1)).rejects.toThrow(
      /no cache manager is registered: .*import CacheAsideModule\.forRoot\(\{ redis \}\) from 'cache-aside\/nestjs'/,
    );
    await moduleRef.close();
  });
});
