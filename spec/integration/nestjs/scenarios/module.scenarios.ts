import 'reflect-metadata';
import {
  Body,
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Param,
  ParseIntPipe,
  Put,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import Redis from 'ioredis';
import { CacheAsideManager, Cacheable, CacheConfig, CacheEvict } from '../../../../lib';
import {
  CacheAsideModule,
  InjectCacheAside,
  getCacheAsideToken,
  type CacheAsideModuleOptions,
} from '../../../../lib/nestjs';
import {
  cli,
  connectedClients,
  http,
  managerOf,
  rejection,
  startHttp,
  untilStoring,
  type Scenario,
} from './support';

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
    @Inject(UserStore) private readonly store: UserStore,
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

@Controller('users')
class UsersController {
  constructor(
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(SessionsService) private readonly sessions: SessionsService,
  ) {}

  /** Through the named manager "sessions" (forRootAsync). */
  @Get('sessions/:token')
  async session(@Param('token') token: string): Promise<{ token: string; load: number }> {
    return this.sessions.find(token);
  }

  @Get(':id')
  async find(@Param('id', ParseIntPipe) id: number): Promise<{ name: string | null }> {
    return { name: await this.users.findName(id) };
  }

  @Put(':id')
  async rename(
    @Param('id', ParseIntPipe) id: number,
    @Body() body: { name: string },
  ): Promise<{ ok: true }> {
    await this.users.rename(id, body.name);
    return { ok: true };
  }
}

/** A configuration service as an application would have one (ConfigService and the like). */
class AppConfig {
  constructor(readonly values: Record<string, string>) {}
}

/** The default manager from `defaults`, "sessions" from a factory over an injected config. */
function appModule(
  defaults: CacheAsideModuleOptions,
  config: Record<string, string>,
): new () => unknown {
  @Module({
    providers: [{ provide: AppConfig, useValue: new AppConfig(config) }],
    exports: [AppConfig],
  })
  class AppConfigModule {}

  @Module({
    imports: [
      CacheAsideModule.forRoot(defaults),
      CacheAsideModule.forRootAsync({
        name: 'sessions',
        imports: [AppConfigModule],
        inject: [AppConfig],
        useFactory: (appConfig: AppConfig) => ({
          redis: { url: appConfig.values.REDIS_URL },
          keyPrefix: appConfig.values.SESSIONS_PREFIX,
        }),
      }),
    ],
    controllers: [UsersController],
    providers: [UserStore, UsersService, SessionsService],
  })
  class AppModule {}
  return AppModule;
}

/** The default manager and "sessions", both from connection options (the module's clients). */
function standardModule(redisUrl: string, prefix: string): new () => unknown {
  return appModule(
    { redis: { url: redisUrl }, keyPrefix: prefix },
    { REDIS_URL: redisUrl, SESSIONS_PREFIX: `${prefix}sess:` },
  );
}

export const moduleScenarios: Record<string, Scenario> = {
  /** A repeated GET hits, a PUT evicts, and app.close() closes the clients the module created. */
  async httpReadsEvictsAndCloses({ redisUrl, prefix }) {
    const { app, url } = await startHttp(standardModule(redisUrl, prefix));
    const store = app.get(UserStore);
    await untilStoring(managerOf(app), redisUrl, prefix);
    await untilStoring(managerOf(app, 'sessions'), redisUrl, `${prefix}sess:`);
    const names = [await http('GET', `${url}/users/1`), await http('GET', `${url}/users/1`)].map(
      (r) => r.body,
    );
    const readsAfterHit = store.reads;
    await http('PUT', `${url}/users/1`, { name: 'Ada Lovelace' });
    names.push((await http('GET', `${url}/users/1`)).body);
    const sessions = [
      await http('GET', `${url}/users/sessions/t1`),
      await http('GET', `${url}/users/sessions/t1`),
    ].map((r) => r.body);
    await managerOf(app).settle();
    await managerOf(app, 'sessions').settle();
    const stored = cli(redisUrl, 'EXISTS', `${prefix}users:user:1`) === '1';
    const storedSession = cli(redisUrl, 'EXISTS', `${prefix}sess:session:t1`) === '1';
    const before = connectedClients(redisUrl);
    await app.close();
    return {
      names,
      readsAfterHit,
      reads: store.reads,
      stored,
      sessions,
      storedSession,
      clientsClosed: before - connectedClients(redisUrl),
    };
  },

  /** forRootAsync({ name: 'sessions' }) builds its manager from an injected provider. */
  async namedManagerFromFactory({ redisUrl, prefix }) {
    const app = await NestFactory.createApplicationContext(standardModule(redisUrl, prefix), {
      logger: false,
    });
    const sessions = app.get(SessionsService);
    await untilStoring(sessions.cache, redisUrl, `${prefix}sess:`);
    const loads = [(await sessions.find('t1')).load, (await sessions.find('t1')).load];
    await sessions.cache.settle();
    const report = {
      isManager: sessions.cache instanceof CacheAsideManager,
      sameAsDefault: sessions.cache === app.get(UsersService).cache,
      loads,
      stored: cli(redisUrl, 'EXISTS', `${prefix}sess:session:t1`) === '1',
    };
    await app.close();
    return report;
  },

  /** A client the application passed in stays open after app.close(). */
  async ownClientLeftOpen({ redisUrl, prefix }) {
    const own = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    const app = await NestFactory.createApplicationContext(
      appModule(
        { redis: own, keyPrefix: prefix },
        { REDIS_URL: redisUrl, SESSIONS_PREFIX: prefix },
      ),
      { logger: false },
    );
    const name = await app.get(UsersService).findName(2);
    await app.close();
    const report = { name, status: own.status, ping: await own.ping() };
    await own.quit();
    return report;
  },

  /** overrideProvider(getCacheAsideToken()) puts a test's manager in; the module leaves it open. */
  async overrideProviderManager({ redisUrl, prefix }) {
    const testRedis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    const testManager = new CacheAsideManager({ redis: testRedis, keyPrefix: `${prefix}test:` });
    const moduleRef = await Test.createTestingModule({
      imports: [standardModule(redisUrl, prefix)],
    })
      .overrideProvider(getCacheAsideToken())
      .useValue(testManager)
      .compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const users = app.get(UsersService);
    const report = {
      injected: users.cache === testManager,
      name: await users.findName(1),
      stored: false,
      openAfterClose: '',
    };
    await testManager.settle();
    report.stored = cli(redisUrl, 'EXISTS', `${prefix}test:users:user:1`) === '1';
    await app.close();
    report.openAfterClose = await testManager.get('still-open', () => 'yes');
    await testManager.close();
    await testRedis.quit();
    return report;
  },

  /** A provider injects a manager that no module registers: Nest's error names the import. */
  async missingModuleNamed() {
    @Module({ providers: [SessionsService] })
    class WithoutCacheModule {}
    return {
      error: await rejection(
        NestFactory.create(WithoutCacheModule, { logger: false, abortOnError: false }),
      ),
    };
  },
};
