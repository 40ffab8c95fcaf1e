import 'reflect-metadata';
import {
  Controller,
  Get,
  Injectable,
  Module,
  Param,
  ParseIntPipe,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import Redis from 'ioredis';
import { CacheAsideManager, Cacheable, CacheConfig, CacheEvict } from '../../../lib';
import {
  CacheAsideModule,
  InjectCacheAside,
  getCacheAsideToken,
  type CacheAsideModuleOptions,
} from '../../../lib/nestjs';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import { uniquePrefix } from '../../support/test-redis';

/** A stand-in for a database: counts the reads that reach it. */
@Injectable()
class UserStore {
  reads = 0;
  private readonly names = new Map<number, string>([
    [1, 'Ada'],
    [2, 'Grace'],
  ]);

  read(id: number): string | null {
    this.reads++;
    return this.names.get(id) ?? null;
  }

  write(id: number, name: string): void {
    this.names.set(id, name);
  }
}

@Injectable()
@CacheConfig({ namespace: 'users' })
class UsersService {
  constructor(
    private readonly store: UserStore,
    @InjectCacheAside() readonly cache: CacheAsideManager,
  ) {}

  @Cacheable({ key: 'user:{0}' })
  async findName(id: number): Promise<string | null> {
    return this.store.read(id);
  }

  @CacheEvict({ key: 'user:{0}' })
  async rename(id: number, name: string): Promise<void> {
    this.store.write(id, name);
  }
}

@Controller('users')
class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get(':id')
  async find(@Param('id', ParseIntPipe) id: number): Promise<{ name: string | null }> {
    return { name: await this.users.findName(id) };
  }
}

/** Reads through the named manager "sessions". */
@Injectable()
class SessionsService {
  loads = 0;
  constructor(@InjectCacheAside('sessions') readonly cache: CacheAsideManager) {}

  @Cacheable({ key: 'session:{0}', manager: 'sessions' })
  async find(token: string): Promise<{ token: string; load: number }> {
    return { token, load: ++this.loads };
  }
}

/** A configuration service as an application would have one (ConfigService and the like). */
@Injectable()
class AppConfig {
  constructor(readonly values: Record<string, string>) {}
}

@Module({
  providers: [{ provide: AppConfig, useFactory: () => new AppConfig(configValues) }],
  exports: [AppConfig],
})
class AppConfigModule {}

let configValues: Record<string, string> = {};

function appModule(defaultOptions: CacheAsideModuleOptions): new () => unknown {
  @Module({
    imports: [
      CacheAsideModule.forRoot(defaultOptions),
      CacheAsideModule.forRootAsync({
        name: 'sessions',
        imports: [AppConfigModule],
        inject: [AppConfig],
        useFactory: (config: AppConfig) => ({
          redis: { url: config.values.REDIS_URL },
          keyPrefix: config.values.SESSIONS_PREFIX,
        }),
      }),
    ],
    controllers: [UsersController],
    providers: [UserStore, UsersService, SessionsService],
  })
  class AppModule {}
  return AppModule;
}

async function startApp(
  module: new () => unknown,
): Promise<{ app: INestApplication; url: string }> {
  const app = await NestFactory.create(module, { logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return response.json();
}

describe('CacheAsideModule in a Nest application (real HTTP, real Redis)', () => {
  let server: RedisServer;
  let prefix: string;

  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterAll(async () => {
    await server.stop();
  });

  beforeEach(() => {
    prefix = uniquePrefix('nest-module');
    configValues = { REDIS_URL: server.url, SESSIONS_PREFIX: `${prefix}sess:` };
  });

  it('serves a repeated GET from the cache, evicts on update, and closes what it created', async () => {
    const { app, url } = await startApp(
      appModule({ redis: { url: server.url }, keyPrefix: prefix }),
    );
    const store = app.get(UserStore);
    const users = app.get(UsersService);

    expect(await getJson(`${url}/users/1`)).toEqual({ name: 'Ada' });
    expect(await getJson(`${url}/users/1`)).toEqual({ name: 'Ada' });
    expect(store.reads).toBe(1);

    await users.rename(1, 'Ada Lovelace');
    expect(await getJson(`${url}/users/1`)).toEqual({ name: 'Ada Lovelace' });
    expect(store.reads).toBe(2);
    // The entry sits under the module's keyPrefix and the class's namespace.
    await users.cache.settle();
    expect(server.cli('EXISTS', `${prefix}users:user:1`)).toBe('1');

    const clients = Number(/connected_clients:(\d+)/.exec(server.cli('INFO', 'clients'))![1]);
    await expect(app.close()).resolves.toBeUndefined();
    const after = Number(/connected_clients:(\d+)/.exec(server.cli('INFO', 'clients'))![1]);
    // Both clients the module created (default and "sessions") are gone.
    expect(clients - after).toBeGreaterThanOrEqual(2);
  });

  it('registers a named manager from forRootAsync with options from an injected provider', async () => {
    const { app } = await startApp(appModule({ redis: { url: server.url }, keyPrefix: prefix }));
    const sessions = app.get(SessionsService);
    expect(sessions.cache).toBeInstanceOf(CacheAsideManager);
    expect(sessions.cache).not.toBe(app.get(UsersService).cache);
    expect(await sessions.find('t1')).toEqual({ token: 't1', load: 1 });
    expect(await sessions.find('t1')).toEqual({ token: 't1', load: 1 });
    await sessions.cache.settle();
    expect(server.cli('EXISTS', `${prefix}sess:session:t1`)).toBe('1');
    await app.close();
  });

  it('never closes a client the application passed in', async () => {
    const own = new Redis(server.url, { maxRetriesPerRequest: 1 });
    const { app } = await startApp(appModule({ redis: own, keyPrefix: prefix }));
    expect(await app.get(UsersService).findName(2)).toBe('Grace');
    await app.close();
    expect(own.status).toBe('ready');
    expect(await own.ping()).toBe('PONG');
    await own.quit();
  });

  it('gives getCacheAsideToken() to overrideProvider, so a test can put its own manager in', async () => {
    const testRedis = new Redis(server.url, { maxRetriesPerRequest: 1 });
    const testManager = new CacheAsideManager({ redis: testRedis, keyPrefix: `${prefix}test:` });
    const moduleRef = await Test.createTestingModule({
      imports: [appModule({ redis: { url: server.url }, keyPrefix: prefix })],
    })
      .overrideProvider(getCacheAsideToken())
      .useValue(testManager)
      .compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const users = app.get(UsersService);
    expect(users.cache).toBe(testManager);
    expect(await users.findName(1)).toBe('Ada');
    await testManager.settle();
    expect(server.cli('EXISTS', `${prefix}test:users:user:1`)).toBe('1');
    await app.close();
    // The override is the test's: the module did not create it, so it did not close it.
    expect(await testManager.get('still-open', () => 'yes')).toBe('yes');
    await testManager.close();
    await testRedis.quit();
  });

  it('names the module to import when a provider injects a manager nobody registers', async () => {
    @Module({ providers: [SessionsService] })
    class WithoutCacheModule {}
    await expect(
      NestFactory.create(WithoutCacheModule, { logger: false, abortOnError: false }),
    ).rejects.toThrow(/CacheAsideModule\.forRootAsync with name: 'sessions'/);
  });
});
