import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import { FAULT_OPTIONS, newFaultClient } from '../../support/fault-kit';
import { ready, uniquePrefix } from '../../support/test-redis';

/** Two managers of one key space, as two processes would have (see `stalledPair`). */
export interface StalledPair {
  /** The relay in front of A's connection: `stall()`, `stallAt(text)`, `release()`. */
  readonly proxy: FaultProxy;
  readonly clientA: Redis;
  readonly clientB: Redis;
  /** Talks to Redis through the relay. */
  readonly a: CacheAsideManager;
  /** Talks to Redis directly. */
  readonly b: CacheAsideManager;
  /** Ends the stall and waits until Redis has run everything A sent during it (one connection). */
  releaseAndDrain(): Promise<void>;
}

/**
 * Registers a spec file's hooks for the late-write specs (issue #12): a server of the file's own;
 * per test, manager A talking to it through a relay that can stall (it holds A's bytes past A's
 * deadline, then delivers them) and manager B (another process, as far as Redis can tell) talking
 * to it directly, on one key prefix. Returns the pair of the running test.
 */
export function stalledPair(name: string): () => StalledPair {
  let server: RedisServer;
  let pair: StalledPair | undefined;

  beforeAll(async () => {
    server = await startRedisServer();
  });

  beforeEach(async () => {
    const proxy = await startFaultProxy(server.port);
    const clientA = newFaultClient(proxy.url);
    const clientB = newFaultClient(server.url);
    await Promise.all([ready(clientA), ready(clientB)]);
    // A queued invalidation replays only when asked here: what lands is what the stall delivered.
    const options = { keyPrefix: uniquePrefix(name), ...FAULT_OPTIONS };
    const a = new CacheAsideManager({ redis: clientA, ...options, invalidationRetryMs: 60_000 });
    const b = new CacheAsideManager({ redis: clientB, ...options });
    pair = {
      proxy,
      clientA,
      clientB,
      a,
      b,
      releaseAndDrain: async () => {
        proxy.release();
        await clientA.ping();
      },
    };
    // A write before the stall: the fence knows Redis's clock from it, as it would in service.
    await a.set('warm-up', 'w');
  });

  afterEach(async () => {
    if (pair === undefined) return;
    const { proxy, a, b, clientA, clientB } = pair;
    pair = undefined;
    proxy.release();
    await a.close();
    await b.close();
    clientA.disconnect();
    clientB.disconnect();
    await proxy.close();
  });

  afterAll(() => server.stop());

  return () => {
    if (pair === undefined) throw new Error('stalledPair: used outside a test');
    return pair;
  };
}
