import Redis, { type RedisOptions } from 'ioredis';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { RedisTarget } from '../subjects/subject';

/**
 * An ioredis client with ioredis's defaults (offline queue, 20 retries per request), as a user
 * would create it. Bench code imports ioredis only after bench/node_modules exists, so this is
 * the copy the peers load too (bentocache tells a client from options by `instanceof`).
 */
export function redisClient(target: RedisTarget, options: RedisOptions = {}): Redis {
  return new Redis({ host: target.host, port: target.port, ...options });
}

/**
 * A client made by the ioredis that cache-aside itself resolves (the repository's, where it is a
 * peer dependency), as in an app, where npm installs the peer once and the app and cache-aside
 * share it. The bench's own copy (for the peers) is the same version but a different module, and
 * cache-aside sends its hot-path GET directly only to clients of its own ioredis.
 */
export function libRedisClient(target: RedisTarget, options: RedisOptions = {}): Redis {
  const requireFromRoot = createRequire(join(__dirname, '..', '..', 'package.json'));
  const { Redis: LibRedis } = requireFromRoot('ioredis') as { Redis: typeof Redis };
  return new LibRedis({ host: target.host, port: target.port, ...options });
}

/** Resolves once the client is ready, or rejects after `timeoutMs`. */
export function whenReady(client: Redis, timeoutMs = 5000): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`Redis client not ready after ${timeoutMs} ms (status ${client.status})`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}

/** Drops the connection without waiting for replies (the server may be paused or absent). */
export function dropClient(client: Redis): void {
  client.removeAllListeners('error');
  client.on('error', () => undefined);
  client.disconnect();
}

/** Swallows connection errors a client reports while the bench points it at nothing. */
export function quietErrors(client: Redis): Redis {
  client.on('error', () => undefined);
  return client;
}
