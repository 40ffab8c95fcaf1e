import { performance } from 'node:perf_hooks';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import { familyUnderTest, type TestClient } from '../../support/client-families';
import {
  captureErrors,
  DEADLINE_BOUND_MS,
  FAULT_OPTIONS,
  isHit,
  Measurements,
  pollUntil,
  timed,
} from '../../support/fault-kit';
import { startRedisCluster, type RedisServer } from '../../support/redis-server';
import { uniquePrefix } from '../../support/test-redis';

/**
 * A master of a Cluster of three (each with a replica) is killed: the replica takes its slots
 * after cluster-node-timeout. Meanwhile every call is answered (by Redis, or by the loader
 * within the deadline); once the client has learnt the new topology, the killed master's slots
 * cache again. Runs on the Cluster client of the family of the jest project.
 */
const family = familyUnderTest();
const clusterOf = family.cluster?.bind(family);
const NODE_TIMEOUT_MS = 1000;
/** Failover takes about 2 × cluster-node-timeout; the client then has to find the new master. */
const FAILOVER_BOUND_MS = 20_000;

const measured = new Measurements(
  `a Cluster master killed, failed over to its replica (${family.name})`,
);
afterAll(() => measured.print());

// Every family but the embedded store has a Cluster client.
if (clusterOf !== undefined) {
  describe(`CacheAsideManager on a ${family.name} Cluster when a master is killed`, () => {
    let nodes: RedisServer[] = [];
    let cluster: TestClient | undefined;

    beforeAll(async () => {
      nodes = await startRedisCluster(3, { replicas: 1, nodeTimeoutMs: NODE_TIMEOUT_MS });
    }, 60_000);

    afterAll(async () => {
      await cluster?.close();
      await Promise.all(nodes.map((node) => node.stop()));
    });

    it('answers every call while the replica takes over, then caches the lost slots again', async () => {
      const masters = nodes.filter((node) => node.cli('role').startsWith('master'));
      expect(masters).toHaveLength(3);
      cluster = await clusterOf(masters.map(({ host, port }) => ({ host, port })));
      const keyPrefix = uniquePrefix('fault-cluster');
      const cache = new CacheAsideManager({ redis: cluster.client, keyPrefix, ...FAULT_OPTIONS });
      const errors = captureErrors(cache);
      const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
      const valueOf = (key: string): string => `v:${key}`;
      for (const key of keys) await cache.get(key, valueOf);
      await cache.settle();

      const victim = masters[0];
      const onVictim = victim
        .cli('--scan', '--pattern', `${keyPrefix}*`)
        .split('\n')
        .filter(Boolean)
        .map((fullKey) => fullKey.slice(keyPrefix.length));
      expect(onVictim.length).toBeGreaterThan(0);
      const elsewhere = keys.filter((key) => !onVictim.includes(key));

      await victim.kill();
      const killedAt = performance.now();
      const latencies: number[] = [];
      let failed = 0;
      let served = 0;
      const round = async (): Promise<void> => {
        for (const key of [onVictim[0], onVictim[onVictim.length - 1], elsewhere[0]]) {
          try {
            const { value, ms } = await timed(() => cache.get(key, valueOf));
            latencies.push(ms);
            if (value === valueOf(key)) served++;
            else failed++;
          } catch {
            failed++;
          }
        }
      };
      // Caching again: the read of a key of the killed master is answered by its new master.
      const cachingAgainMs = await pollUntil(
        'the killed master’s slots caching again',
        async () => {
          await round();
          await cache.settle();
          return isHit(cache, onVictim[0]);
        },
        { timeoutMs: FAILOVER_BOUND_MS, intervalMs: 50, maxAttempts: 2000 },
      );
      measured.add('kill → caching again on the lost slots', cachingAgainMs);
      measured.add('get while failing over (stall-adjusted)', latencies);
      measured.count('calls answered', served);
      measured.count('calls failed', failed);
      measured.count(
        `error events (${[...new Set(errors.map((e) => e.code))].join(', ')})`,
        errors.length,
      );

      expect(failed).toBe(0);
      expect(served).toBe(latencies.length);
      expect(Math.max(...latencies)).toBeLessThan(DEADLINE_BOUND_MS);
      // Every key answers after the failover, the promoted replica's copy included.
      for (const key of keys) expect(await cache.get(key, valueOf)).toBe(valueOf(key));
      await cache.settle();
      expect(await isHit(cache, onVictim[onVictim.length - 1])).toBe(true);
      expect(performance.now() - killedAt).toBeLessThan(FAILOVER_BOUND_MS + 5000);
      await cache.close();
    }, 60_000);
  });
}
