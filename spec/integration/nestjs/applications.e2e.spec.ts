import 'reflect-metadata';
import { Controller, Get, Inject, Injectable, Module, UseInterceptors } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { CacheInterceptor, Cacheable, type CacheAsideManager } from '../../../lib';
import { CacheAsideModule, getCacheAsideToken } from '../../../lib/nestjs';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import { uniquePrefix } from '../../support/test-redis';

/** Returns which application loaded the value, so a spec can see whose cache answered. */
@Injectable()
class WhoService {
  loads = 0;
  constructor(@Inject('APP_LABEL') private readonly label: string) {}

  @Cacheable({ key: 'who:{0}' })
  async who(id: number): Promise<string> {
    this.loads++;
    return `${this.label}:${id}`;
  }
}

/** Uses a manager that no application of this spec registers. */
@Injectable()
class AuditService {
  @Cacheable({ key: 'audit:{0}', manager: 'audit' })
  async audit(id: number): Promise<number> {
    return id;
  }
}

function appModule(label: string, redisUrl: string, keyPrefix: string): new () => unknown {
  @Module({
    imports: [CacheAsideModule.forRoot({ redis: { url: redisUrl }, keyPrefix })],
    providers: [{ provide: 'APP_LABEL', useValue: label }, WhoService],
  })
  class AppModule {}
  return AppModule;
}

describe('Nest applications in one process (as e2e suites create them)', () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterAll(async () => {
    CacheInterceptor.enable();
    await server.stop();
  });

  it('each uses its own managers, and A keeps working after B closes', async () => {
    const prefixA = uniquePrefix('nest-app-a');
    const prefixB = uniquePrefix('nest-app-b');
    const a = await NestFactory.createApplicationContext(appModule('A', server.url, prefixA), {
      logger: false,
    });
    const b = await NestFactory.createApplicationContext(appModule('B', server.url, prefixB), {
      logger: false,
    });
    const whoA = a.get(WhoService);
    const whoB = b.get(WhoService);
    // The module connects its clients once the app has bootstrapped: wait (bounded) until each
    // app's manager stores, so that the assertions below do not race the first connection.
    for (const [app, prefix] of [
      [a, prefixA],
      [b, prefixB],
    ] as const) {
      const manager = app.get<CacheAsideManager>(getCacheAsideToken());
      for (let attempt = 0; attempt < 50; attempt++) {
        await manager.set('probe', attempt);
        if (server.cli('EXISTS', `${prefix}probe`) === '1') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    expect(await whoA.who(1)).toBe('A:1');
    expect(await whoB.who(1)).toBe('B:1'); // not A's entry: B's own manager and prefix
    await a.get<CacheAsideManager>(getCacheAsideToken()).settle();
    await b.get<CacheAsideManager>(getCacheAsideToken()).settle();
    expect(server.cli('GET', `${prefixA}who:1`)).toContain('A:1');
    expect(server.cli('GET', `${prefixB}who:1`)).toContain('B:1');

    await b.close();
    expect(await whoA.who(1)).toBe('A:1'); // a hit in A's cache, after B's managers closed
    expect(await whoA.who(2)).toBe('A:2');
    expect(whoA.loads).toBe(2);
    await a.get<CacheAsideManager>(getCacheAsideToken()).settle();
    expect(server.cli('EXISTS', `${prefixA}who:2`)).toBe('1');
    await a.close();
  });

  it('points the process-wide registry (objects made with new) at the newest application still running', async () => {
    const prefixA = uniquePrefix('nest-fallback-a');
    const prefixB = uniquePrefix('nest-fallback-b');
    const a = await NestFactory.createApplicationContext(appModule('A', server.url, prefixA), {
      logger: false,
    });
    const b = await NestFactory.createApplicationContext(appModule('B', server.url, prefixB), {
      logger: false,
    });
    const outside = new WhoService('outside');
    expect(await outside.who(7)).toBe('outside:7');
    await b.get<CacheAsideManager>(getCacheAsideToken()).settle();
    expect(server.cli('EXISTS', `${prefixB}who:7`)).toBe('1');
    await b.close();
    expect(await outside.who(8)).toBe('outside:8');
    await a.get<CacheAsideManager>(getCacheAsideToken()).settle();
    expect(server.cli('EXISTS', `${prefixA}who:8`)).toBe('1');
    await a.close();
  });

  it('refuses one manager name registered twice in one application', async () => {
    @Module({
      imports: [
        CacheAsideModule.forRoot({ redis: { url: server.url } }),
        CacheAsideModule.forRoot({ redis: { url: server.url }, keyPrefix: 'other:' }),
      ],
    })
    class TwiceModule {}
    const app = await NestFactory.createApplicationContext(TwiceModule, {
      logger: false,
      abortOnError: false,
      preview: false,
    }).catch((error: unknown) => error);
    expect(app).toBeInstanceOf(Error);
    expect((app as Error).message).toMatch(/registers the manager "default" twice/);
  });

  it('fails at bootstrap, naming the import to add, when a method uses a manager the application does not register', async () => {
    @Module({
      imports: [CacheAsideModule.forRoot({ redis: { url: server.url } })],
      providers: [AuditService],
    })
    class AuditModule {}
    await expect(
      NestFactory.createApplicationContext(AuditModule, { logger: false, abortOnError: false }),
    ).rejects.toThrow(
      /"audit", used by AuditService\.audit: import CacheAsideModule\.forRootAsync\(\{ name: 'audit'/,
    );
  });

  it("fails at bootstrap, naming the fix, when cache-aside's CacheInterceptor is used as a Nest interceptor", async () => {
    @Controller('clash')
    @UseInterceptors(CacheInterceptor)
    class ClashController {
      @Get()
      get(): string {
        return 'never';
      }
    }
    @Module({
      imports: [CacheAsideModule.forRoot({ redis: { url: server.url } })],
      controllers: [ClashController],
    })
    class ClashModule {}
    await expect(
      NestFactory.create(ClashModule, { logger: false, abortOnError: false }),
    ).rejects.toThrow(/not a NestJS interceptor.*CacheAsideModule from 'cache-aside\/nestjs'/);
  });

  it('runs a testing module with caching turned off (CacheInterceptor.disable)', async () => {
    CacheInterceptor.disable();
    try {
      // No CacheAsideModule at all: decorated methods run as plain methods.
      const moduleRef = await Test.createTestingModule({
        providers: [{ provide: 'APP_LABEL', useValue: 'T' }, WhoService],
      }).compile();
      const who = moduleRef.get(WhoService);
      expect(await who.who(1)).toBe('T:1');
      expect(await who.who(1)).toBe('T:1');
      expect(who.loads).toBe(2);
      await moduleRef.close();
    } finally {
      CacheInterceptor.enable();
    }
  });
});
