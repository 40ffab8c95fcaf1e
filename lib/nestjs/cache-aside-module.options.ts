import type { FactoryProvider, ModuleMetadata } from '@nestjs/common';
import type { CacheAsideOptions, RedisClient } from '../index';

/**
 * How the module reaches Redis when it creates the client itself: ioredis's options, with `url`
 * for a connection string (`redis://user:pass@host:6379/0`, `rediss://` for TLS). Whatever is
 * not `url` is passed to ioredis as it is (`host`, `port`, `password`, `tls`, `sentinels`, …).
 */
export interface RedisConnectionOptions {
  /** A connection string: `redis://user:pass@host:6379/0`, or `rediss://` for TLS. */
  url?: string;
  /** The server's host name. @default '127.0.0.1' (ioredis's default) */
  host?: string;
  /** The server's port. @default 6379 */
  port?: number;
  /** The ACL user, where the server has ACL users. */
  username?: string;
  /** The password (of `username`, or the server's `requirepass`). Never logged. */
  password?: string;
  /** The database number (standalone servers only). @default 0 */
  db?: number;
  /** Any other ioredis option, passed on as it is (`tls`, `sentinels`, `name`, …). */
  [ioredisOption: string]: unknown;
}

/**
 * The manager's options, except that `redis` is either a client the application owns (the
 * module never closes it) or connection options, from which the module creates an ioredis
 * client that it closes on application shutdown.
 */
export type CacheAsideModuleOptions = Omit<CacheAsideOptions, 'redis'> & {
  /** A client the application owns (never closed by the module), or connection options. */
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

/** `forRoot`: the manager's options and where to register it, given directly. */
export type CacheAsideModuleSyncOptions = CacheAsideModuleOptions & CacheAsideRegistrationOptions;

/** `forRootAsync`: the options come from a factory that Nest calls with its `inject` providers. */
export interface CacheAsideModuleAsyncOptions extends CacheAsideRegistrationOptions {
  /** Modules whose providers the factory injects (e.g. `ConfigModule`). */
  imports?: ModuleMetadata['imports'];
  /** Providers passed to `useFactory`, in order (e.g. `ConfigService`). */
  inject?: FactoryProvider['inject'];
  /** Builds the options from the `inject` providers; may be async (read a config service). */
  useFactory: (...args: never[]) => CacheAsideModuleOptions | Promise<CacheAsideModuleOptions>;
}
