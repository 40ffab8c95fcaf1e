import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import { familyUnderTest, type TestClient } from '../../support/client-families';
import { FAULT_OPTIONS, isHit, Measurements, pollUntil } from '../../support/fault-kit';
import { startRedisCluster, type RedisServer } from '../../support/redis-server';
import { uniquePrefix } from '../../support/test-redis';

/**
 * A pattern invalidation issued while a Cluster master is dead, before its replica took over:
 * the entries of the dead master's slots are still on the replica, and come back with it. The
 * invalidation must not be acknowledged as done while a part of the keyspace could not be
 * scanned: it is queued and replayed once the slots have a master again (seen in the soak:
 * 93 stale reads beyond W after a `master-kill`, all from `invalidatePattern`).
 */
const family = familyUnderTest();
const clusterOf = family.cluster?.bind(family);
const NODE_TIMEOUT_MS = 1000;
const FAILOVER_BOUND_MS = 20_000;

const measured = new Measurements(`invalidatePattern during a Cluster failover (${family.name})`);
afterAll(() => measured.print());

if (clusterOf !== undefined) {
  describe(`invalidatePattern on a ${family.name} Cluster while a master is dead`, () => {
    let nodes: RedisServer[] = [];
    let cluster: TestClient | undefined;

    beforeAll(async () => {
      nodes = await startRedisCluster(3, { replicas: 1, nodeTimeoutMs: NODE_TIMEOUT_MS });
    }, 60_000);

    afterAll(async () => {
      await cluster?.close();
      await Promise.all(nodes.map((node) => node.stop()));
    });

    it('removes the dead master’s entries too, once its replica has taken over', async () => {
      const masters = nodes.filter((node) => node.cli('role').startsWith('master'));
      cluster = await clusterOf(masters.map(({ host, port }) => ({ host, port })));
      const keyPrefix = uniquePrefix('fault-cluster-pattern');
      const cache = new CacheAsideManager({
        redis: cluster.client,
        keyPrefix,
        ...FAULT_OPTIONS,
        invalidationRetryMs: 200,
      });
      const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
      for (const key of keys) await cache.get(key, () => 'old');
      await cache.settle();

      const victim = masters[0];
      const replica = nodes.find((node) => {
        const role = node.cli('role').split('\n');
        return role[0] === 'slave' && Number(role[2]) === victim.port;
      });
      if (replica === undefined) throw new Error('the victim has no replica');
      const onVictim = (node: RedisServer): string[] =>
        node.cli('--scan', '--pattern', `${keyPrefix}*`).split('\n').filter(Boolean);
      const victimKeys = onVictim(victim);
      expect(victimKeys.length).toBeGreaterThan(0);
      // The replica has every entry of its master before the master dies.
      await pollUntil('the replica in sync', () => onVictim(replica).length === victimKeys.length);

      await victim.kill();
      await cache.invalidatePattern('k*');

      const aKeyOfTheVictim = victimKeys[0].slice(keyPrefix.length);
      const cachingAgainMs = await pollUntil(
        'the killed master’s slots caching again',
        async () => {
          await cache.get(`probe:${Date.now()}`, () => 'probe');
          await cache.get(aKeyOfTheVictim, () => 'new');
          await cache.settle();
          return isHit(cache, aKeyOfTheVictim);
        },
        { timeoutMs: FAILOVER_BOUND_MS, intervalMs: 50, maxAttempts: 2000 },
      );
      measured.add('kill → caching again on the lost slots', cachingAgainMs);
      await pollUntil('the queued invalidation replayed', async () => {
        await cache.get(`probe:${Date.now()}`, () => 'probe');
        return cache.stats().pendingInvalidations === 0;
      });
      let oldServed = 0;
      for (const key of keys) if ((await cache.get(key, () => 'new')) === 'old') oldServed++;
      expect(`${oldServed} of ${keys.length} keys served the invalidated value`).toBe(
        `0 of ${keys.length} keys served the invalidated value`,
      );
      await cache.close();
    }, 60_000);
  });
}
