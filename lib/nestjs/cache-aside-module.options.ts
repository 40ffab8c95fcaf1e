import type { FactoryProvider, ModuleMetadata } from '@nestjs/common';
import type { CacheAsideOptions, RedisClient } from '../index';

/**
 * How the module reaches Redis when it creates the client itself: ioredis's options, with `url`
 * for a connection string (`redis://user:pass@host:6379/0`, `rediss://` for TLS). Whatever is
 * not `url` is passed to ioredis as it is (`host`, `port`, `password`, `tls`, `sentinels`, …).
 */
export interface RedisConnectionOptions {
  url?: string;
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  db?: number;
  [ioredisOption: string]: unknown;
}

/**
 * The manager's options, except that `redis` is either a client the application owns (the
 * module never closes it) or connection options, from which the module creates an ioredis
 * client that it closes on application shutdown.
 */
export type CacheAsideModuleOptions = Omit<CacheAsideOptions, 'redis'> & {
  redis: RedisClient | RedisConnectionOptions;
};

/** Where the module registers its manager. */
export interface CacheAsideRegistrationOptions {
  /**
   * The manager's name: decorated methods choose it with `manager: name`, providers inject it
   * with `@InjectCacheAside(name)`. @default 'default'
   */
  name?: string;
  /**
   * Whether every module of the application can inject the manager without importing this one.
   * @default true
   */
  global?: boolean;
}

export type CacheAsideModuleSyncOptions = CacheAsideModuleOptions & CacheAsideRegistrationOptions;

/** `forRootAsync`: the options come from a factory that Nest calls with its `inject` providers. */
export interface CacheAsideModuleAsyncOptions extends CacheAsideRegistrationOptions {
  /** Modules whose providers the factory injects (e.g. `ConfigModule`). */
  imports?: ModuleMetadata['imports'];
  /** Providers passed to `useFactory`, in order (e.g. `ConfigService`). */
  inject?: FactoryProvider['inject'];
  useFactory: (...args: never[]) => CacheAsideModuleOptions | Promise<CacheAsideModuleOptions>;
}
