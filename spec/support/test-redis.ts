import { randomBytes } from 'node:crypto';
import Redis, { Cluster, type RedisOptions } from 'ioredis';
import { asRunUser, runUserCredentials, TEST_KEY_ROOT } from './acl-users';

export { TEST_KEY_ROOT };

/**
 * What an integration spec uses to reach the servers of the global setup. Each spec file takes
 * its own key prefix, so files never see each other's keys and nothing needs flushing.
 */
export function testRedisUrl(): string {
  const url = process.env.CACHE_ASIDE_TEST_REDIS_URL;
  if (!url)
    throw new Error('integration specs run under jest --selectProjects integration (global setup)');
  return url;
}

/** The standalone server as its default (unrestricted) user: for fault injection only. */
export function adminRedisUrl(): string {
  return process.env.CACHE_ASIDE_TEST_ADMIN_URL ?? testRedisUrl();
}

/** A client with the retry policy the README recommends (capped backoff), and `options`. */
export function newTestClient(url = testRedisUrl(), options: RedisOptions = {}): Redis {
  return new Redis(url, {
    retryStrategy: (times) => Math.min(times * 50, 500),
    maxRetriesPerRequest: 1,
    ...options,
  });
}

export function newClusterClient(): Cluster {
  const nodes = (process.env.CACHE_ASIDE_TEST_CLUSTER ?? '')
    .split(',')
    .filter(Boolean)
    .map((hostPort) => {
      const [host, port] = hostPort.split(':');
      return { host, port: Number(port) };
    });
  if (nodes.length === 0) throw new Error('no test cluster (global setup)');
  return new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: 1, ...clusterCredentials() } });
}

/**
 * The user a client of a Cluster the tests started (the global setup's, or a spec's own) logs in
 * as: the ACL user of an integration:acl project (spec/support/acl-env/), else none (the default
 * user). Standalone URLs carry their user.
 */
export function clusterCredentials(): { username?: string; password?: string } {
  return runUserCredentials();
}

/** A URL of one Cluster node of the global setup, with the ACL user's credentials if any. */
export function clusterNodeUrl(): string {
  const node = (process.env.CACHE_ASIDE_TEST_CLUSTER ?? '').split(',')[0];
  return asRunUser(`redis://${node}`);
}

let counter = 0;
/**
 * This module's own instance: jest loads it afresh for every spec file, and one worker runs the
 * same spec file in several projects (one per client family), so pid and counter alone repeat.
 */
const instance = randomBytes(4).toString('hex');
/** A key prefix no other spec (or earlier run against REDIS_URL) uses. */
export function uniquePrefix(name: string): string {
  const run = process.env.CACHE_ASIDE_TEST_RUN ?? 'local';
  return `${TEST_KEY_ROOT}${run}:${name}:${process.pid}:${instance}:${counter++}:`;
}

/** The keys under a prefix, by SCAN (KEYS is refused to the ACL users; bounded in rounds). */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  for (let round = 0; round < 1000; round++) {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    keys.push(...found);
    cursor = next;
    if (cursor === '0') return keys;
  }
  throw new Error('SCAN did not finish within 1000 rounds');
}

/** Resolves when a client is ready (bounded). */
export function ready(client: Redis | Cluster, timeoutMs = 5000): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`client not ready within ${timeoutMs} ms`)),
      timeoutMs,
    );
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * The one warning a run as a user without scripting expects (the integration:acl-noscript project;
 * docs/security.md, "Without scripting"): specs leave it out of the errors they compare.
 */
export function isExpectedWarning(error: { readonly code: string }): boolean {
  return (
    process.env.CACHE_ASIDE_TEST_NO_SCRIPTING === '1' && error.code === 'SCRIPTING_UNAVAILABLE'
  );
}

/** Collects the `'error'` events of `emitter` into `into`, the expected warning left out. */
export function collectErrors<E extends { readonly code: string }>(
  emitter: { on(event: 'error', listener: (error: E) => void): unknown },
  into: E[],
): void {
  emitter.on('error', (error) => {
    if (!isExpectedWarning(error)) into.push(error);
  });
}
