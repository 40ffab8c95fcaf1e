import 'reflect-metadata';
import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Param,
  ParseIntPipe,
  Scope,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type CanActivate,
  type NestInterceptor,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { map, type Observable } from 'rxjs';
import { CacheInterceptor, Cacheable } from '../../../../lib';
import { CacheAsideModule } from '../../../../lib/nestjs';
import { cli, http, managerOf, rejection, startHttp, untilStoring, type Scenario } from './support';

/** Says which application loaded the value, so a scenario can see whose cache answered. */
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

/** Transient with static dependencies: Nest creates one copy per consumer, at bootstrap. */
@Injectable({ scope: Scope.TRANSIENT })
class StaticTransientService {
  constructor(@Inject('APP_LABEL') private readonly label: string) {}

  @Cacheable({ key: 'static-transient:{0}' })
  async who(id: number): Promise<string> {
    return `${this.label}:${id}`;
  }
}

/** A singleton holding its own copy of the transient provider. */
@Injectable()
class TransientHolder {
  constructor(@Inject(StaticTransientService) readonly transient: StaticTransientService) {}
}

/** Created per request; counts its loads application-wide through a singleton. */
@Injectable()
class LoadCounter {
  loads = 0;
}

@Injectable({ scope: Scope.REQUEST })
class PerRequestService {
  constructor(
    @Inject('APP_LABEL') private readonly label: string,
    @Inject(LoadCounter) private readonly counter: LoadCounter,
  ) {}

  @Cacheable({ key: 'req:{0}' })
  async who(id: number): Promise<string> {
    this.counter.loads++;
    return `${this.label}:${id}`;
  }
}

/** Transient over a request-scoped dependency: Nest creates it per request too. */
@Injectable({ scope: Scope.TRANSIENT })
class TransientService {
  constructor(
    @Inject('APP_LABEL') private readonly label: string,
    @Inject(PerRequestService) readonly perRequest: PerRequestService,
    @Inject(LoadCounter) private readonly counter: LoadCounter,
  ) {}

  @Cacheable({ key: 'transient:{0}' })
  async who(id: number): Promise<string> {
    this.counter.loads++;
    return `${this.label}:${id}`;
  }
}

/** A guard that reads through a request-scoped cached service before the handler runs. */
@Injectable()
class CacheReadingGuard implements CanActivate {
  constructor(@Inject(PerRequestService) private readonly perRequest: PerRequestService) {}

  async canActivate(): Promise<boolean> {
    return (await this.perRequest.who(0)).length > 0;
  }
}

/** An application's own interceptor around the handler (rxjs, as Nest interceptors are). */
@Injectable()
class WrapInterceptor implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((body: object) => ({ ...body, wrapped: true })));
  }
}

@Controller('who')
@UseGuards(CacheReadingGuard)
@UseInterceptors(WrapInterceptor)
class WhoController {
  constructor(
    @Inject(PerRequestService) private readonly perRequest: PerRequestService,
    @Inject(TransientService) private readonly transient: TransientService,
  ) {}

  @Get('request/:id')
  async request(@Param('id', ParseIntPipe) id: number): Promise<{ who: string }> {
    return { who: await this.perRequest.who(id) };
  }

  @Get('transient/:id')
  async transientWho(@Param('id', ParseIntPipe) id: number): Promise<{ who: string }> {
    return { who: await this.transient.who(id) };
  }

  /** An object made with `new` while a request is handled. */
  @Get('new/:id')
  async made(@Param('id', ParseIntPipe) id: number): Promise<{ who: string }> {
    return { who: await new WhoService('new').who(id) };
  }
}

/** Uses a manager that no application of these scenarios registers. */
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
    providers: [
      { provide: 'APP_LABEL', useValue: label },
      WhoService,
      StaticTransientService,
      TransientHolder,
    ],
  })
  class AppModule {}
  return AppModule;
}

function httpModule(label: string, redisUrl: string, keyPrefix: string): new () => unknown {
  @Module({
    imports: [CacheAsideModule.forRoot({ redis: { url: redisUrl }, keyPrefix })],
    controllers: [WhoController],
    providers: [
      { provide: 'APP_LABEL', useValue: label },
      LoadCounter,
      PerRequestService,
      TransientService,
    ],
  })
  class AppModule {}
  return AppModule;
}

export const applicationScenarios: Record<string, Scenario> = {
  /** Two applications in one process: each on its own managers; A works after B closes. */
  async twoApplications({ redisUrl, prefix }) {
    const [prefixA, prefixB] = [`${prefix}a:`, `${prefix}b:`];
    const a = await NestFactory.createApplicationContext(appModule('A', redisUrl, prefixA), {
      logger: false,
    });
    const b = await NestFactory.createApplicationContext(appModule('B', redisUrl, prefixB), {
      logger: false,
    });
    await untilStoring(managerOf(a), redisUrl, prefixA);
    await untilStoring(managerOf(b), redisUrl, prefixB);
    const whoA = a.get(WhoService);
    const seen = [await whoA.who(1), await b.get(WhoService).who(1)];
    // A transient provider's copies are bound too (outside any request: no request scope here).
    const transients = [
      await a.get(TransientHolder).transient.who(3),
      await b.get(TransientHolder).transient.who(3),
    ];
    await managerOf(a).settle();
    await managerOf(b).settle();
    const stored = [
      cli(redisUrl, 'GET', `${prefixA}who:1`),
      cli(redisUrl, 'GET', `${prefixB}who:1`),
    ];
    const storedTransients =
      cli(redisUrl, 'GET', `${prefixA}static-transient:3`).includes('A:3') &&
      cli(redisUrl, 'GET', `${prefixB}static-transient:3`).includes('B:3');
    await b.close();
    seen.push(await whoA.who(1), await whoA.who(2));
    await managerOf(a).settle();
    const storedAfter = cli(redisUrl, 'EXISTS', `${prefixA}who:2`) === '1';
    const loadsA = whoA.loads;
    await a.close();
    return {
      seen,
      storedA: stored[0].includes('A:1'),
      storedB: stored[1].includes('B:1'),
      transients,
      storedTransients,
      storedAfter,
      loadsA,
    };
  },

  /**
   * Objects made with `new` outside any application use the process-wide registry: the newest
   * application still running, and none once every application closed.
   */
  async processWideRegistry({ redisUrl, prefix }) {
    const [prefixA, prefixB] = [`${prefix}a:`, `${prefix}b:`];
    const a = await NestFactory.createApplicationContext(appModule('A', redisUrl, prefixA), {
      logger: false,
    });
    const b = await NestFactory.createApplicationContext(appModule('B', redisUrl, prefixB), {
      logger: false,
    });
    await untilStoring(managerOf(a), redisUrl, prefixA);
    await untilStoring(managerOf(b), redisUrl, prefixB);
    const outside = new WhoService('outside');
    await outside.who(7);
    await managerOf(b).settle();
    const inB = cli(redisUrl, 'EXISTS', `${prefixB}who:7`) === '1';
    await b.close();
    await outside.who(8);
    await managerOf(a).settle();
    const inA = cli(redisUrl, 'EXISTS', `${prefixA}who:8`) === '1';
    await a.close();
    return { inB, inA, afterAllClosed: await rejection(outside.who(9)) };
  },

  /**
   * Request-scoped and transient-over-request-scoped providers, in two applications over HTTP,
   * behind an application's own guard (which reads through the cache) and interceptor: each
   * request's calls go to its own application's manager, also after the other one closed.
   */
  async perRequestProvidersTwoApps({ redisUrl, prefix }) {
    const [prefixA, prefixB] = [`${prefix}a:`, `${prefix}b:`];
    const a = await startHttp(httpModule('A', redisUrl, prefixA));
    const b = await startHttp(httpModule('B', redisUrl, prefixB));
    await untilStoring(managerOf(a.app), redisUrl, prefixA);
    await untilStoring(managerOf(b.app), redisUrl, prefixB);
    let unwrapped = 0;
    const get = async (base: string, path: string): Promise<unknown> => {
      const body = (await http('GET', base + path)).body as { who: string; wrapped?: true };
      if (body.wrapped !== true) unwrapped++;
      return body.who;
    };
    const seen = [
      await get(a.url, '/who/request/1'),
      await get(b.url, '/who/request/1'),
      await get(a.url, '/who/request/1'),
      await get(a.url, '/who/transient/1'),
      await get(b.url, '/who/transient/1'),
      await get(b.url, '/who/new/5'),
    ];
    await managerOf(a.app).settle();
    await managerOf(b.app).settle();
    const keys = {
      aRequest: cli(redisUrl, 'GET', `${prefixA}req:1`).includes('A:1'),
      bRequest: cli(redisUrl, 'GET', `${prefixB}req:1`).includes('B:1'),
      aTransient: cli(redisUrl, 'GET', `${prefixA}transient:1`).includes('A:1'),
      bTransient: cli(redisUrl, 'GET', `${prefixB}transient:1`).includes('B:1'),
      bNew: cli(redisUrl, 'GET', `${prefixB}who:5`).includes('new:5'),
      aGuard: cli(redisUrl, 'GET', `${prefixA}req:0`).includes('A:0'),
      bGuard: cli(redisUrl, 'GET', `${prefixB}req:0`).includes('B:0'),
    };
    await b.app.close();
    seen.push(await get(a.url, '/who/request/2'), await get(a.url, '/who/request/1'));
    const loadsA = a.app.get(LoadCounter).loads;
    const loadsB = b.app.get(LoadCounter).loads;
    await a.app.close();
    return { seen, keys, unwrapped, loadsA, loadsB };
  },

  /** One manager name registered twice in one application fails at bootstrap. */
  async nameRegisteredTwice({ redisUrl }) {
    @Module({
      imports: [
        CacheAsideModule.forRoot({ redis: { url: redisUrl } }),
        CacheAsideModule.forRoot({ redis: { url: redisUrl }, keyPrefix: 'other:' }),
      ],
    })
    class TwiceModule {}
    return {
      error: await rejection(
        NestFactory.createApplicationContext(TwiceModule, { logger: false, abortOnError: false }),
      ),
    };
  },

  /** A decorated provider uses a manager the application does not register: bootstrap fails. */
  async unregisteredManagerAtBootstrap({ redisUrl }) {
    @Module({
      imports: [CacheAsideModule.forRoot({ redis: { url: redisUrl } })],
      providers: [AuditService],
    })
    class AuditModule {}
    return {
      error: await rejection(
        NestFactory.createApplicationContext(AuditModule, { logger: false, abortOnError: false }),
      ),
    };
  },

  /** cache-aside's CacheInterceptor in @UseInterceptors fails at bootstrap, naming the fix. */
  async interceptorNameClash({ redisUrl }) {
    @Controller('clash')
    @UseInterceptors(CacheInterceptor)
    class ClashController {
      @Get()
      get(): string {
        return 'never';
      }
    }
    @Module({
      imports: [CacheAsideModule.forRoot({ redis: { url: redisUrl } })],
      controllers: [ClashController],
    })
    class ClashModule {}
    return {
      error: await rejection(
        NestFactory.create(ClashModule, { logger: false, abortOnError: false }),
      ),
    };
  },
};
