import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CacheAsideManager, type RedisClient } from '../index';
import type { CacheAsideModuleOptions } from './cache-aside-module.options';
import { createOwnedClient, isConnectionOptions, type OwnedClient } from './redis-connection';

/**
 * What one `CacheAsideModule` registration created — its manager, and the Redis client when it
 * was given connection options — closed when the application shuts down (`app.close()`, or a
 * signal with `enableShutdownHooks()`). A client the application passed in is never closed: it
 * is the application's. A manager that a test put in place with `overrideProvider` is not
 * created here, so it is not closed here either.
 */
export class OwnedResources implements OnApplicationBootstrap, OnApplicationShutdown {
  private manager: CacheAsideManager | undefined;
  private client: OwnedClient | undefined;
  private readonly logger: Logger;
  /** One log line per outage, not one per reconnection attempt. */
  private outageReported = false;

  constructor(private readonly name: string) {
    this.logger = new Logger(`CacheAside:${name}`);
  }

  createManager(options: CacheAsideModuleOptions): CacheAsideManager {
    // An async factory is the user's code: what it returns is checked, not trusted.
    const given: unknown = options;
    if (given === null || typeof given !== 'object') {
      throw new TypeError(
        `[cache-aside] CacheAsideModule (manager "${this.name}") needs options: { redis, keyPrefix?, defaultTtl?, ... }.`,
      );
    }
    const { redis, ...managerOptions } = options;
    let client: RedisClient;
    if (isConnectionOptions(redis)) {
      this.client = createOwnedClient(redis, {
        onError: (error) => {
          this.reportOutage(error);
        },
        onReady: () => {
          this.outageReported = false;
        },
      });
      client = this.client.client;
    } else {
      client = redis;
    }
    try {
      this.manager = new CacheAsideManager({ ...managerOptions, redis: client });
    } catch (error) {
      void this.client?.close();
      this.client = undefined;
      throw error;
    }
    return this.manager;
  }

  /**
   * Connects once every module initialised: a bootstrap that fails before (a missing provider, a
   * module init hook that throws) leaves no socket open. A command sent earlier, by an
   * `onModuleInit` hook that reads the cache, connects the client itself.
   */
  onApplicationBootstrap(): void {
    this.client?.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    const manager = this.manager;
    const client = this.client;
    this.manager = undefined;
    this.client = undefined;
    try {
      await manager?.close();
    } finally {
      await client?.close();
    }
  }

  private reportOutage(error: unknown): void {
    if (this.outageReported) return;
    this.outageReported = true;
    const reason = error instanceof Error ? error.message : 'unknown error';
    this.logger.warn(
      `Redis is unreachable (${reason}); decorated methods are served by their own code until it is back.`,
    );
  }
}
