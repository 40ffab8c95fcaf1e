import { CacheTypeError } from '../errors/cache-type-error';
import type { ClientConnection } from './clients/client-connection';
import { IoRedisConnection, ioredisKeyPrefixOf, isIoRedisFamily } from './clients/ioredis';
import { MemoryConnection } from './clients/memory';
import { MemoryStore } from './clients/memory-store';
import { NodeRedisConnection, nodeRedisKindOf } from './clients/node-redis';

/** Any method of a client: the client shapes name members, not signatures (those are each client's own). */
export type ClientMethod = (...args: never[]) => unknown;

/** An ioredis 5/6 or iovalkey `Redis` or `Cluster` (Sentinel-configured clients are `Redis`). */
export interface IoRedisLikeClient {
  /** Present on every ioredis-family client: how the client is recognised, and how entries are read as bytes. */
  getBuffer: ClientMethod;
  /** Writes entries (with PX and NX/XX options). */
  set: ClientMethod;
  /** Opens the separate connection the L1 invalidation subscriber needs. */
  duplicate: ClientMethod;
  /** ioredis's connection state (`'ready'`, `'reconnecting'`, …), read to fail fast while disconnected. */
  readonly status: string;
}

/** A node-redis 5 client from `createClient()` (connected by the application). */
export interface NodeRedisLikeClient {
  /** Sends raw commands (EVALSHA, SET …) on the client, as bytes. */
  sendCommand: ClientMethod;
  /** Gives a view of the client that returns replies as Buffers, so that entries stay bytes. */
  withTypeMapping: ClientMethod;
  /** Opens the separate connection the L1 invalidation subscriber needs. */
  duplicate: ClientMethod;
  /** Whether the client is connected, read to fail fast while it is not. */
  readonly isReady: boolean;
}

/** A node-redis 5 Cluster from `createCluster()` (connected by the application). */
export interface NodeRedisLikeCluster {
  /** Sends a command to the node that owns its key. */
  sendCommand: ClientMethod;
  /** The client of one node, to run a scan or a script on each master. */
  nodeClient: ClientMethod;
  /** The master nodes: pattern invalidation scans each of them. */
  readonly masters: unknown;
}

/** A node-redis 5 Sentinel client from `createSentinel()` (connected by the application). */
export interface NodeRedisLikeSentinel {
  /** Sends a command to the current master. */
  sendCommand: ClientMethod;
  /** Present on a Sentinel client only: how it is told apart from a plain client. */
  getMasterNode: ClientMethod;
  /** Whether the client is connected to a master, read to fail fast while it is not. */
  readonly isReady: boolean;
}

/**
 * What `redis` accepts: an ioredis 5/6 or iovalkey client, Cluster or Sentinel-configured client;
 * a node-redis 5 client from `createClient()`, `createCluster()` or `createSentinel()`; or the
 * embedded {@link MemoryStore}. Described by shape on purpose: each client's own types stay in
 * its own package, which a user of another client does not install. Recognised by shape at
 * construction, where anything else is refused with a message naming these.
 */
export type RedisClient =
  | IoRedisLikeClient
  | NodeRedisLikeClient
  | NodeRedisLikeCluster
  | NodeRedisLikeSentinel
  | MemoryStore;

export const ACCEPTED_CLIENTS =
  'an ioredis (5 or 6) or iovalkey client, Cluster or Sentinel-configured client; a node-redis 5 ' +
  'client from createClient(), createCluster() or createSentinel(); or a MemoryStore from ' +
  "'cache-aside/testing'";

/** Looks like a client the library accepts (checked at construction to name the fix early). */
export function isRedisClient(value: unknown): value is RedisClient {
  if (typeof value !== 'object' || value === null) return false;
  return (
    value instanceof MemoryStore || isIoRedisFamily(value) || nodeRedisKindOf(value) !== undefined
  );
}

/**
 * The adapter of an accepted client. Refuses anything else, and an ioredis client with a
 * `keyPrefix` of its own (SCAN patterns ignore it), with a `CacheTypeError` that names the fix.
 */
export function connectionFor(client: unknown): ClientConnection {
  if (typeof client === 'object' && client !== null) {
    if (client instanceof MemoryStore) return new MemoryConnection(client);
    if (isIoRedisFamily(client)) {
      const prefix = ioredisKeyPrefixOf(client);
      if (prefix) {
        throw new CacheTypeError(
          'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
          `the Redis client has ioredis's own keyPrefix ("${prefix}"), which SCAN patterns ignore; ` +
            'create the client without it and pass { keyPrefix } to CacheAsideManager instead.',
        );
      }
      return new IoRedisConnection(client);
    }
    if (nodeRedisKindOf(client) !== undefined) return new NodeRedisConnection(client as never);
  }
  throw new CacheTypeError(
    'ERR_CACHE_ASIDE_UNSUPPORTED_CLIENT',
    `options.redis must be ${ACCEPTED_CLIENTS}; got ${kindOf(client)}. ` +
      "Pass { redis: new Redis(process.env.REDIS_URL) } (import Redis from 'ioredis') or " +
      "{ redis: await createClient({ url }).connect() } (import { createClient } from 'redis').",
  );
}

/** Throws what `connectionFor` throws for a client it would refuse (options are checked early). */
export function assertRedisClient(value: unknown): asserts value is RedisClient {
  connectionFor(value).detach();
}

/** ioredis's client-level keyPrefix, if any (refused at construction). */
export function clientKeyPrefixOf(client: RedisClient): string | undefined {
  return isIoRedisFamily(client) ? ioredisKeyPrefixOf(client) : undefined;
}

/** What was passed, without its content (a URL string may hold a password). */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object')
    return typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== 'Object' ? `an instance of ${name}` : 'an object';
}
