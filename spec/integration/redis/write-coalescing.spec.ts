import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import { newClusterClient, newTestClient, ready, uniquePrefix } from '../../support/test-redis';

type Socket = NonNullable<Redis['stream']> & {
  _writev: (...args: unknown[]) => void;
  _write: (...args: unknown[]) => void;
};

const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

describe('coalesceWrites on a real socket', () => {
  let redis: Redis;
  let cache: CacheAsideManager;

  beforeAll(async () => {
    redis = newTestClient();
    await ready(redis);
  });

  afterEach(() => cache.close());

  afterAll(async () => {
    await redis.quit();
  });

  const loader = async (key: string) => ({ key, n: Number(key.split(':')[1]) });

  it('sends the hits of one tick in one socket write, each answered with its own value', async () => {
    cache = new CacheAsideManager({ redis, keyPrefix: uniquePrefix('coalesce') });
    const keys = Array.from({ length: 50 }, (_, i) => `k:${i}`);
    await Promise.all(keys.map((key) => cache.get(key, loader)));
    await cache.settle();

    const socket = redis.stream as Socket;
    const writev = jest.spyOn(socket, '_writev');
    const write = jest.spyOn(socket, '_write');
    try {
      const values = await Promise.all(keys.map((key) => cache.get(key, jest.fn())));
      expect(values).toEqual(keys.map((key, i) => ({ key, n: i })));
      expect(writev).toHaveBeenCalledTimes(1);
      expect((writev.mock.calls[0][0] as unknown[]).length).toBe(50);
      expect(write).not.toHaveBeenCalled();
    } finally {
      writev.mockRestore();
      write.mockRestore();
    }
  });

  it("holds the socket corked only until the end of the tick, with the application's commands in order", async () => {
    cache = new CacheAsideManager({ redis, keyPrefix: uniquePrefix('coalesce') });
    const counter = `${uniquePrefix('coalesce')}counter`;
    const first = redis.incr(counter);
    const hit = cache.get('k:7', loader);
    const second = redis.incr(counter);
    expect(redis.stream.writableCorked).toBe(1);
    await nextTick();
    expect(redis.stream.writableCorked).toBe(0);
    expect([await first, await second]).toEqual([1, 2]);
    expect(await hit).toEqual({ key: 'k:7', n: 7 });
    await cache.settle();
    await redis.del(counter);
  });

  it('leaves the socket alone with coalesceWrites: false', async () => {
    cache = new CacheAsideManager({
      redis,
      keyPrefix: uniquePrefix('coalesce'),
      coalesceWrites: false,
    });
    const hit = cache.get('k:1', loader);
    expect(redis.stream.writableCorked).toBe(0);
    expect(await hit).toEqual({ key: 'k:1', n: 1 });
    await cache.settle();
  });

  it('corks the node sockets of a Cluster for the tick, and every hit gets its own value', async () => {
    const cluster = newClusterClient();
    try {
      await ready(cluster);
      cache = new CacheAsideManager({ redis: cluster, keyPrefix: uniquePrefix('coalesce') });
      const keys = Array.from({ length: 20 }, (_, i) => `k:${i}`);
      const load = jest.fn(loader);
      await Promise.all(keys.map((key) => cache.get(key, load)));
      await cache.settle();
      const sockets = cluster.nodes('all').map((node) => node.stream);
      expect(sockets.length).toBeGreaterThanOrEqual(3);
      const hits = Promise.all(keys.map((key) => cache.get(key, load)));
      expect(sockets.map((socket) => socket.writableCorked)).toEqual(sockets.map(() => 1));
      await nextTick();
      expect(sockets.map((socket) => socket.writableCorked)).toEqual(sockets.map(() => 0));
      expect(await hits).toEqual(keys.map((key, i) => ({ key, n: i })));
      expect(load).toHaveBeenCalledTimes(20);
    } finally {
      await cache.close();
      cache = new CacheAsideManager({ redis, keyPrefix: uniquePrefix('coalesce') });
      cluster.disconnect();
    }
  });
});
