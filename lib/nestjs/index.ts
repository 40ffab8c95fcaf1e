/**
 * `cache-aside/nestjs`: the NestJS integration. Loaded only when imported, so that `cache-aside`
 * alone never loads Nest; `@nestjs/common` and `@nestjs/core` are optional peer dependencies.
 */
export { CacheAsideModule } from './cache-aside.module';
export { InjectCacheAside } from './inject-cache-aside.decorator';
export { getCacheAsideToken, DEFAULT_CACHE_NAME } from './cache-aside.tokens';
export type {
  CacheAsideModuleOptions,
  CacheAsideModuleSyncOptions,
  CacheAsideModuleAsyncOptions,
  CacheAsideRegistrationOptions,
  RedisConnectionOptions,
} from './cache-aside-module.options';
