import { tracingChannel } from 'node:diagnostics_channel';
import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib';
import {
  CACHE_CHANNEL_NAMES,
  type CacheGetContext,
  type CacheInvalidateContext,
  type CacheLoadContext,
} from '../../../lib/manager/cache-channels';
import { newTestClient, ready, uniquePrefix } from '../../support/test-redis';

/** The same wiring as the unit spec, on a real redis-server from the global setup. */
describe('diagnostics channels on a real Redis', () => {
  let client: Redis;
  let cache: CacheAsideManager;

  beforeAll(async () => {
    client = newTestClient();
    await ready(client);
  });

  afterAll(async () => {
    await client.quit();
  });

  it('publishes a miss with its load, a Redis hit and an invalidation', async () => {
    const prefix = uniquePrefix('diagnostics');
    cache = new CacheAsideManager({ redis: client, keyPrefix: prefix });
    const ended: Array<[string, Record<string, unknown>]> = [];
    const subscriptions = (['get', 'load', 'invalidate'] as const).map((name) => {
      const channel = tracingChannel<unknown, Record<string, unknown>>(CACHE_CHANNEL_NAMES[name]);
      const handlers = {
        start: () => undefined,
        end: () => undefined,
        asyncStart: () => undefined,
        asyncEnd: (context: Record<string, unknown>) => ended.push([name, { ...context }]),
        error: () => undefined,
      };
      channel.subscribe(handlers);
      return () => channel.unsubscribe(handlers);
    });
    try {
      const label = 'Orders.byId';
      await expect(cache.get('o:1', () => ({ id: 1 }), { label })).resolves.toEqual({ id: 1 });
      await cache.settle();
      await expect(cache.get('o:1', () => ({ id: 2 }), { label })).resolves.toEqual({ id: 1 });
      await expect(cache.invalidate('o:1')).resolves.toBe(1);
    } finally {
      for (const unsubscribe of subscriptions) unsubscribe();
      await cache.close();
    }
    const gets = ended.filter(([n]) => n === 'get').map(([, c]) => c as unknown as CacheGetContext);
    expect(gets.map((g) => [g.key, g.keyPrefix, g.method, g.outcome, g.tier])).toEqual([
      ['o:1', prefix, 'Orders.byId', 'miss', undefined],
      ['o:1', prefix, 'Orders.byId', 'hit', 'redis'],
    ]);
    const loads = ended
      .filter(([n]) => n === 'load')
      .map(([, c]) => c as unknown as CacheLoadContext);
    expect(loads).toEqual([expect.objectContaining({ key: 'o:1', method: 'Orders.byId' })]);
    const invalidations = ended
      .filter(([n]) => n === 'invalidate')
      .map(([, c]) => c as unknown as CacheInvalidateContext);
    expect(invalidations).toEqual([
      expect.objectContaining({
        kind: 'key',
        key: 'o:1',
        keys: ['o:1'],
        count: 1,
        keyPrefix: prefix,
      }),
    ]);
  });
});
