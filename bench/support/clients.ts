import Redis, { type RedisOptions } from 'ioredis';
import type { RedisTarget } from '../subjects/subject';

/**
 * An ioredis client with ioredis's defaults (offline queue, 20 retries per request), as a user
 * would create it. Bench code imports ioredis only after bench/node_modules exists, so this is
 * the copy the peers load too (bentocache tells a client from options by `instanceof`).
 */
export function redisClient(target: RedisTarget, options: RedisOptions = {}): Redis {
  return new Redis({ host: target.host, port: target.port, ...options });
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
