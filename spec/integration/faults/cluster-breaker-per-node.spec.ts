import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import { CacheAsideManager } from '../../../lib';
import { FAULT_OPTIONS, Measurements, pollUntil } from '../../support/fault-kit';
import { startRedisCluster, type RedisServer } from '../../support/redis-server';
import { clusterCredentials, ready } from '../../support/test-redis';

/**
 * Issue #12 finding 6: a Cluster master killed (kill -9) under load. With one circuit breaker for
 * the whole Cluster, the dead master's failures opened it and caching stopped on the healthy
 * shards too for the whole failover. With a breaker per node: 0 failed calls, the healthy shards
 * keep answering hits throughout, and the killed shard caches again once its replica is promoted.
 */
const measured = new Measurements('Cluster failover: a master killed under load');
afterAll(() => measured.print());

const PREFIX = 'cache-aside-test:failover:';
const KEYS = Array.from({ length: 300 }, (_, i) => `k${i}`);
/** Bounds of the failover phase: promotion takes node-timeout (1 s) plus an election. */
const FAILOVER_BOUND_MS = 20_000;
const ROUND_MS = 25;
const MAX_ROUNDS = FAILOVER_BOUND_MS / ROUND_MS;

describe('CacheAsideManager on a Cluster of 3 masters + 3 replicas, a master killed', () => {
  let nodes: RedisServer[];
  let cluster: Cluster;
  let cache: CacheAsideManager | undefined;

  beforeAll(async () => {
    // As a cache Cluster should run: without full coverage, the healthy masters go on serving
    // their slots while one is down (with it, Redis itself refuses every command, CLUSTERDOWN,
    // from the moment the master is marked failed until its replica is promoted).
    nodes = await startRedisCluster(3, {
      replicas: 1,
      nodeTimeoutMs: 1000,
      args: ['--cluster-require-full-coverage', 'no'],
    });
    cluster = new Cluster(
      nodes.map((n) => ({ host: n.host, port: n.port })),
      {
        redisOptions: {
          maxRetriesPerRequest: 1,
          connectTimeout: 500,
          // disconnect() otherwise keeps a 2 s timer per node (ioredis's default), past the run.
          disconnectTimeout: 100,
          ...clusterCredentials(),
        },
        clusterRetryStrategy: (times) => Math.min(times * 50, 300),
        slotsRefreshTimeout: 500,
      },
    );
    cluster.on('error', () => undefined);
    await ready(cluster, 10_000);
  }, 60_000);

  afterAll(async () => {
    await cache?.close();
    // Bounded wait for the client to end, so no reconnect timer of the killed node outlives it.
    await new Promise<void>((resolve) => {
      cluster.once('end', () => resolve());
      setTimeout(resolve, 2000).unref();
      cluster.disconnect();
    });
    await Promise.all(nodes.map((n) => n.stop()));
  });

  /** The master ("host:port") serving a key now, by the client's slot table. */
  function masterOf(key: string): string | undefined {
    return (cluster as unknown as { slots: string[][] }).slots[calculateSlot(PREFIX + key)]?.[0];
  }

  it('0 failed calls, hits on the healthy shards throughout, the killed shard caches again after promotion', async () => {
    const manager = new CacheAsideManager({ redis: cluster, keyPrefix: PREFIX, ...FAULT_OPTIONS });
    cache = manager;
    const refusals = { open: 0, timeout: 0 };
    manager.on('error', (e) => {
      if (e.code === 'REDIS_UNAVAILABLE') refusals.open++;
      if (e.code === 'REDIS_TIMEOUT') refusals.timeout++;
    });
    let loads = 0;
    const loader = (key: string): string => {
      loads++;
      return `value of ${key}`;
    };
    for (const key of KEYS) await manager.get(key, loader);
    await manager.settle();

    const victimAddress = masterOf(KEYS[0])!;
    const victim = nodes.find((n) => `${n.host}:${n.port}` === victimAddress)!;
    const victimKeys = KEYS.filter((k) => masterOf(k) === victimAddress).slice(0, 10);
    const healthyKeys = KEYS.filter((k) => masterOf(k) !== victimAddress).slice(0, 40);
    expect(victimKeys.length).toBeGreaterThan(0);
    expect(healthyKeys.length).toBe(40);
    // Replicas have the entries (synced) before the kill: WAIT for one replica per write.
    await pollUntil('replicas synced', () =>
      victim.cli('info', 'replication').includes('connected_slaves:1'),
    );
    await cluster
      .nodes('master')
      .find((n) => `${n.options.host}:${n.options.port}` === victimAddress)!
      .wait(1, 2000);

    let failed = 0;
    let healthyReads = 0;
    let healthyHits = 0;
    const hitsPerWindow: number[] = [];
    let windowStart = performance.now();
    let windowHits = 0;
    let promotedAfterMs: number | undefined;
    const killedAt = performance.now();
    await victim.kill();

    const read = async (key: string): Promise<boolean> => {
      const before = loads;
      try {
        await manager.get(key, loader);
      } catch {
        failed++;
      }
      return loads === before;
    };
    for (let round = 0; round < MAX_ROUNDS && promotedAfterMs === undefined; round++) {
      const started = performance.now();
      const healthy = await Promise.all(healthyKeys.map(read));
      healthyReads += healthy.length;
      const hits = healthy.filter(Boolean).length;
      healthyHits += hits;
      windowHits += hits;
      const victimHits = await Promise.all(victimKeys.map(read));
      // The killed shard caches again: its slots moved to the promoted replica, and it answers.
      if (masterOf(victimKeys[0]) !== victimAddress && victimHits.every(Boolean))
        promotedAfterMs = performance.now() - killedAt;
      if (performance.now() - windowStart >= 250) {
        hitsPerWindow.push(windowHits);
        windowHits = 0;
        windowStart = performance.now();
      }
      const left = ROUND_MS - (performance.now() - started);
      if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
    }
    measured.count('failed calls', failed);
    measured.count('healthy-shard reads during the failover', healthyReads);
    measured.count('of which hits', healthyHits);
    measured.count('fewest healthy-shard hits in a 250 ms window', Math.min(...hitsPerWindow));
    measured.add('killed shard caching again after the kill', promotedAfterMs ?? NaN);
    measured.count('reads served without Redis: unavailable (its circuit open)', refusals.open);
    measured.count('reads served without Redis: deadline', refusals.timeout);

    expect(failed).toBe(0);
    expect(promotedAfterMs).toBeDefined();
    // The healthy shards kept caching: nearly every read of theirs was a hit, in every window.
    expect(healthyHits / healthyReads).toBeGreaterThan(0.95);
    expect(hitsPerWindow.filter((hits) => hits === 0)).toEqual([]);
    // The dead master's own breaker opened: reads of its slots skipped Redis at once, rather
    // than each waiting for a deadline (a single breaker could not open without stopping all).
    expect(refusals.open).toBeGreaterThan(refusals.timeout);

    // And a new key of the killed shard's slots is stored again (a miss, then a hit).
    const fresh = KEYS.slice(100).find((k) => masterOf(k) === masterOf(victimKeys[0]))!;
    await manager.invalidate(fresh);
    await manager.get(fresh, loader);
    await manager.settle();
    expect(await read(fresh)).toBe(true);
  }, 60_000);
});
