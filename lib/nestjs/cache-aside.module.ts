import {
  Global,
  Module,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
  type Provider,
} from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type {
  CacheAsideModuleAsyncOptions,
  CacheAsideModuleOptions,
  CacheAsideModuleSyncOptions,
} from './cache-aside-module.options';
import { CacheAsideExplorer } from './cache-aside.explorer';
import { CacheAsideRegistration } from './cache-aside.registration';
import {
  DEFAULT_CACHE_NAME,
  assertCacheName,
  getCacheAsideOptionsToken,
  getCacheAsideRegistrationToken,
  getCacheAsideToken,
} from './cache-aside.tokens';
import { OwnedResources } from './owned-resources';
import { RequestScopeMiddleware } from './request-scope.middleware';

/**
 * Imported once per application whatever the number of managers: it holds the explorer that
 * binds the application's providers, and the middleware that runs each HTTP request in the
 * application's scope (for providers created per request). Global so that its init hook runs
 * before the hooks of the application's own modules.
 */
@Global()
@Module({ imports: [DiscoveryModule], providers: [CacheAsideExplorer, RequestScopeMiddleware] })
export class CacheAsideCoreModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestScopeMiddleware).forRoutes('*');
  }
}

/**
 * Registers a `CacheAsideManager` in a Nest application: `forRoot` with the options at hand,
 * `forRootAsync` with options from a factory (a `ConfigService`, a secret store). Import it once
 * per manager; without a `name` it is the default manager, the one decorated methods use unless
 * they name another.
 *
 * From module init on, the application's providers and controllers that carry cache metadata
 * use this application's managers. On shutdown the module closes each manager it created and
 * each Redis client it created from connection options; a client the application passed in is
 * left open.
 */
@Module({})
// eslint-disable-next-line @typescript-eslint/no-extraneous-class -- a Nest module is a decorated class by design
export class CacheAsideModule {
  /** A manager from options known when the module is imported. */
  static forRoot(options: CacheAsideModuleSyncOptions): DynamicModule {
    const { name = DEFAULT_CACHE_NAME, global = true, ...managerOptions } = options;
    assertCacheName(name, 'CacheAsideModule.forRoot({ name })');
    return dynamicModule(name, global, [], {
      provide: getCacheAsideOptionsToken(name),
      useValue: managerOptions satisfies CacheAsideModuleOptions,
    });
  }

  /** A manager whose options come from `useFactory`, called with the `inject` providers. */
  static forRootAsync(options: CacheAsideModuleAsyncOptions): DynamicModule {
    const { name = DEFAULT_CACHE_NAME, global = true, imports = [], inject = [] } = options;
    assertCacheName(name, 'CacheAsideModule.forRootAsync({ name })');
    if (typeof options.useFactory !== 'function') {
      throw new TypeError(
        '[cache-aside] CacheAsideModule.forRootAsync needs useFactory: a function that returns the options ({ redis, ... }).',
      );
    }
    return dynamicModule(name, global, imports, {
      provide: getCacheAsideOptionsToken(name),
      useFactory: options.useFactory as (...args: unknown[]) => unknown,
      inject,
    });
  }
}

function dynamicModule(
  name: string,
  global: boolean,
  imports: NonNullable<DynamicModule['imports']>,
  optionsProvider: Provider,
): DynamicModule {
  const resourcesToken = `cache-aside:resources:${name}`;
  const managerToken = getCacheAsideToken(name);
  return {
    module: CacheAsideModule,
    global,
    imports: [...imports, CacheAsideCoreModule],
    providers: [
      optionsProvider,
      { provide: resourcesToken, useFactory: () => new OwnedResources(name) },
      {
        provide: managerToken,
        useFactory: (resources: OwnedResources, options: CacheAsideModuleOptions) =>
          resources.createManager(options),
        inject: [resourcesToken, getCacheAsideOptionsToken(name)],
      },
      {
        provide: getCacheAsideRegistrationToken(name),
        useFactory: (manager: CacheAsideRegistration['manager']) =>
          new CacheAsideRegistration(name, manager),
        inject: [managerToken],
      },
    ],
    exports: [managerToken],
  };
}
