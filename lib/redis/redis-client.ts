import type { Cluster, Redis } from 'ioredis';

/** What the manager accepts: an ioredis client, a Cluster, or a Sentinel-backed client. */
export type RedisClient = Redis | Cluster;

/**
 * ioredis applies a client-level `keyPrefix` to commands but not to SCAN patterns, so pattern
 * invalidation would silently miss every key. Such a client is refused at construction.
 */
export function clientKeyPrefixOf(client: RedisClient): string | undefined {
  const options = (
    client as { options?: { keyPrefix?: string; redisOptions?: { keyPrefix?: string } } }
  ).options;
  return options?.keyPrefix || options?.redisOptions?.keyPrefix || undefined;
}

export function isCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}

/** Looks like an ioredis client (checked at construction to name the fix early). */
export function isRedisClient(value: unknown): value is RedisClient {
  const candidate = value as Partial<Redis> | null | undefined;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.getBuffer === 'function' &&
    typeof candidate.set === 'function'
  );
}
