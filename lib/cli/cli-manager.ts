import { CacheAsideManager } from '../index';
import type { RedisConnection } from './redis-connection';

/**
 * A CacheAsideManager on the CLI's connection, so invalidations take the library's own path:
 * leases at the keys are removed with them (a load in flight drops its late result), and with
 * a one-entry in-process tier the manager publishes each invalidation on the L1 bus, so the
 * running applications drop their local copies too.
 */
export interface CliManager {
  readonly manager: CacheAsideManager;
  /** Messages of invalidations Redis refused (the manager queued them): the run is incomplete. */
  readonly failures: readonly string[];
  close(): Promise<void>;
}

export function openCliManager(redis: RedisConnection, prefix: string): CliManager {
  const manager = new CacheAsideManager({
    redis: redis.client,
    keyPrefix: prefix,
    l1: { maxEntries: 1 },
  });
  const failures: string[] = [];
  manager.on('error', (error) => {
    if (error.code === 'INVALIDATION_DEFERRED' || error.code === 'INVALIDATION_DROPPED')
      failures.push(error.message);
  });
  return {
    manager,
    failures,
    close: () => manager.close(),
  };
}
