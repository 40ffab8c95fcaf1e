import { CacheAsideManager, MsgpackSerializer, type CacheError } from '../../../lib';
import {
  clusterNodes,
  familiesUnderTest,
  type ClientFamily,
  type TestClient,
} from '../../support/client-families';
import { DEADLINE_BOUND_MS, FAULT_OPTIONS, timed } from '../../support/fault-kit';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import { collectErrors, testRedisUrl, uniquePrefix } from '../../support/test-redis';

/** Polls `check` every 20 ms until it holds, at most `ms`. */
async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

/**
 * The contract, once per client family (ioredis 5, ioredis 6, iovalkey, node-redis 5, and the
 * embedded memory store): reads, leases and scripts, binary-safe values, tags, TTLs, pattern
 * invalidation, the L1 bus, and on a real server fail-open with bounded latency when it is
 * killed or hung, then caching again. On a Cluster of three for every family that has one.
 * `CACHE_ASIDE_TEST_CLIENT=<family>` runs one family only.
 */
describe.each(familiesUnderTest().map((family) => [family.name, family] as const))(
  'CacheAsideManager on %s',
  (_name, family: ClientFamily) => {
    const opened: TestClient[] = [];
    const managers: CacheAsideManager[] = [];
    const connect = async (url = testRedisUrl()): Promise<TestClient> => {
      const client = await family.standalone(url);
      opened.push(client);
      return client;
    };
    const manage = (cache: CacheAsideManager): CacheAsideManager => {
      managers.push(cache);
      return cache;
    };

    afterEach(async () => {
      await Promise.all(managers.splice(0).map((cache) => cache.close()));
      await Promise.all(opened.splice(0).map((client) => client.close()));
    });

    it('reads through once, hits, stores falsy values, sets TTLs and invalidates', async () => {
      const { client } = await connect();
      const errors: CacheError[] = [];
      const cache = manage(
        new CacheAsideManager({ redis: client, keyPrefix: uniquePrefix('fam') }),
      );
      collectErrors(cache, errors);
      const loader = jest.fn(async (key: string) => (key === 'zero' ? 0 : { key }));
      expect(await cache.get('a', loader)).toEqual({ key: 'a' });
      expect(await cache.get('zero', loader)).toBe(0);
      await cache.settle();
      expect(await cache.get('a', loader)).toEqual({ key: 'a' });
      expect(await cache.get('zero', loader)).toBe(0);
      expect(loader).toHaveBeenCalledTimes(2);
      expect(await cache.getMany(['a', 'zero', 'b'], async (missing) => missing)).toEqual([
        { key: 'a' },
        0,
        'b',
      ]);
      // SET_TTL runs as a script (natively on the memory store): true on an entry of ours.
      expect(await cache.setTtl('a', 30)).toBe(true);
      expect(await cache.getTtl('a')).toBe(30);
      await cache.settle();
      expect(await cache.invalidatePattern('*')).toBe(3);
      expect(await cache.invalidate('a')).toBe(0);
      expect(errors).toEqual([]);
    });

    it('keeps every byte of a binary entry (msgpack), read back through a second client', async () => {
      const keyPrefix = uniquePrefix('fam-bytes');
      const serializer = new MsgpackSerializer();
      const first = await connect();
      const writer = manage(new CacheAsideManager({ redis: first.client, keyPrefix, serializer }));
      const value = { bytes: Buffer.from([0x00, 0x80, 0xfe, 0xff, 0xc3, 0x28]), text: 'é€😀' };
      await writer.get('bin', async () => value);
      await writer.settle();
      // The memory store is one process's memory: its "second client" is the same store.
      const second = family.name === 'memory store' ? first : await connect();
      const reader = manage(new CacheAsideManager({ redis: second.client, keyPrefix, serializer }));
      const read = await reader.get('bin', async () => ({
        bytes: Buffer.alloc(0),
        text: 'loader',
      }));
      expect(read.text).toBe(value.text);
      expect(Buffer.from(read.bytes).equals(value.bytes)).toBe(true);
    });

    it('loads once across managers sharing the store, releases a lease on a failed load, and drops tagged entries', async () => {
      const keyPrefix = uniquePrefix('fam-lease');
      const a = await connect();
      const b = family.name === 'memory store' ? a : await connect();
      const one = manage(new CacheAsideManager({ redis: a.client, keyPrefix }));
      const two = manage(new CacheAsideManager({ redis: b.client, keyPrefix }));
      let loads = 0;
      const slow = async (): Promise<string> => {
        loads++;
        await new Promise((resolve) => setTimeout(resolve, 100));
        return 'once';
      };
      expect(await Promise.all([one.get('k', slow), two.get('k', slow)])).toEqual(['once', 'once']);
      expect(loads).toBe(1);
      await expect(
        one.get('fails', async () => {
          throw new Error('loader failed');
        }),
      ).rejects.toThrow('loader failed');
      // The lease was given back: the other manager loads at once instead of waiting it out.
      const started = performance.now();
      expect(await two.get('fails', async () => 'second try')).toBe('second try');
      expect(performance.now() - started).toBeLessThan(1000);
      await one.get('tagged', async () => 't', { tags: ['group'] });
      await one.settle();
      await two.invalidateTags(['group']);
      expect(await one.get('tagged', async () => 'reloaded', { tags: ['group'] })).toBe('reloaded');
    });

    it('keeps two in-process tiers coherent over its pub/sub', async () => {
      const keyPrefix = uniquePrefix('fam-l1');
      const a = await connect();
      const b = family.name === 'memory store' ? a : await connect();
      const l1 = { maxEntries: 100, heartbeatMs: 100 };
      const one = manage(new CacheAsideManager({ redis: a.client, keyPrefix, l1 }));
      const two = manage(new CacheAsideManager({ redis: b.client, keyPrefix, l1 }));
      const live = (m: CacheAsideManager): boolean =>
        (m as unknown as { l1: { bus: { isLive: boolean } } }).l1.bus.isLive;
      expect(await eventually(async () => live(one) && live(two))).toBe(true);
      await one.get('shared', async () => 'v1');
      await one.settle();
      expect(await two.get('shared', async () => 'not expected')).toBe('v1');
      expect(two.stats().l1Entries).toBe(1);
      await one.invalidate('shared');
      expect(await eventually(async () => two.stats().l1Entries === 0)).toBe(true);
      expect(
        await eventually(async () => (await two.get('shared', async () => 'v2')) === 'v2'),
      ).toBe(true);
    });

    it("leaves no listener on the user's client once closed (many managers, one client)", async () => {
      const { client } = await connect();
      const emitter = client as unknown as NodeJS.EventEmitter;
      const listening = (): Record<string, number> =>
        typeof emitter.eventNames !== 'function'
          ? {}
          : Object.fromEntries(emitter.eventNames().map((e) => [e, emitter.listenerCount(e)]));
      const before = listening();
      for (let i = 0; i < 12; i++) {
        const cache = new CacheAsideManager({
          redis: client,
          keyPrefix: uniquePrefix('fam-detach'),
        });
        await cache.get('k', async () => i);
        await cache.close();
      }
      // node-redis kept two listeners per manager (12 managers: a MaxListeners warning).
      expect(listening()).toEqual(before);
    });

    if (family.name !== 'memory store') {
      describe('on a server of its own', () => {
        let server: RedisServer;
        beforeAll(async () => {
          server = await startRedisServer();
        });
        afterAll(() => server.stop());

        it('is served by the loader within the deadline while the server is hung or dead, then caches again', async () => {
          const { client } = await connect(server.url);
          const cache = manage(
            new CacheAsideManager({
              redis: client,
              keyPrefix: uniquePrefix('fam-fault'),
              operationTimeoutMs: FAULT_OPTIONS.operationTimeoutMs,
              circuitBreaker: { cooldownMs: 200 },
            }),
          );
          cache.on('error', () => undefined);
          await cache.get('seed', async () => 'seeded');
          await cache.settle();
          server.pause();
          try {
            for (let i = 0; i < 3; i++) {
              const { value, ms } = await timed(() =>
                cache.get(`hung:${i}`, async () => 'from loader'),
              );
              expect(value).toBe('from loader');
              expect(ms).toBeLessThan(DEADLINE_BOUND_MS);
            }
          } finally {
            server.resume();
          }
          await server.kill();
          for (let i = 0; i < 3; i++) {
            const { value, ms } = await timed(() =>
              cache.get(`dead:${i}`, async () => 'from loader'),
            );
            expect(value).toBe('from loader');
            expect(ms).toBeLessThan(DEADLINE_BOUND_MS);
          }
          await server.restart();
          // Caching again: a value stored after the restart is a hit.
          expect(
            await eventually(async () => {
              await cache.get('after', async () => 'stored');
              await cache.settle();
              let loaded = false;
              await cache.get('after', async () => {
                loaded = true;
                return 'stored';
              });
              return !loaded;
            }, 10_000),
          ).toBe(true);
        });
      });
    }

    const clusterOf = family.cluster?.bind(family);
    if (clusterOf !== undefined) {
      it('works on the Cluster of three: reads per slot, MGET per slot, SCAN on every master', async () => {
        const cluster = await clusterOf(clusterNodes());
        opened.push(cluster);
        const errors: CacheError[] = [];
        const cache = manage(
          new CacheAsideManager({ redis: cluster.client, keyPrefix: uniquePrefix('fam-cluster') }),
        );
        collectErrors(cache, errors);
        const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
        for (const key of keys) await cache.get(key, async () => `v:${key}`);
        await cache.settle();
        expect(await cache.getMany(keys, async () => keys.map(() => 'not expected'))).toEqual(
          keys.map((key) => `v:${key}`),
        );
        expect(await cache.setTtl('k1', 40)).toBe(true);
        expect(await cache.invalidatePattern('k*')).toBe(30);
        expect(await cache.get('k1', async () => 'reloaded')).toBe('reloaded');
        expect(errors).toEqual([]);
      });
    }
  },
);
