import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import type { CacheError } from '../../../lib/errors/cache-error';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import {
  captureErrors,
  codesOf,
  FAULT_OPTIONS,
  isHit,
  newFaultClient,
  NO_WAIT_BOUND_MS,
  timed,
} from '../../support/fault-kit';
import { newTestClient, ready, uniquePrefix } from '../../support/test-redis';

describe('CacheAsideManager reading bytes it cannot use', () => {
  let server: RedisServer;
  let redis: Redis;
  /** Plants and reads bytes behind the manager's back (plain ioredis, whatever the client under test). */
  let admin: Redis;
  let cache: CacheAsideManager;
  let errors: CacheError[];
  let prefix: string;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = newFaultClient(server.url);
    admin = newTestClient(server.adminUrl);
    await Promise.all([ready(redis), ready(admin)]);
  });

  beforeEach(() => {
    prefix = uniquePrefix('fault-bytes');
    cache = new CacheAsideManager({ redis, keyPrefix: prefix, ...FAULT_OPTIONS });
    errors = captureErrors(cache);
  });

  afterEach(() => cache.close());

  afterAll(async () => {
    redis.disconnect();
    admin.disconnect();
    await server.stop();
  });

  it.each([
    ['random bytes', () => Buffer.from([0x00, 0xff, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef])],
    [
      'a right header with a payload cut short',
      (entry: Buffer) => entry.subarray(0, entry.length - 3),
    ],
    [
      'a right header with a damaged codec id',
      (entry: Buffer) => {
        const copy = Buffer.from(entry);
        copy[29] ^= 0xff;
        return copy;
      },
    ],
    [
      'an unknown format version',
      (entry: Buffer) => {
        const copy = Buffer.from(entry);
        copy[1] = 99;
        return copy;
      },
    ],
  ])('treats %s as a miss served by the loader, replaces it, and says why', async (_, corrupt) => {
    await cache.get('k', () => ({ name: 'a value long enough to cut' }));
    await cache.settle();
    const good = (await admin.getBuffer(`${prefix}k`)) as Buffer;
    await admin.set(`${prefix}k`, corrupt(good));

    const { value, ms } = await timed(() => cache.get('k', () => ({ name: 'reloaded' })));
    expect(value).toEqual({ name: 'reloaded' });
    expect(ms).toBeLessThan(NO_WAIT_BOUND_MS);
    expect(codesOf(errors)).toEqual(['DECODE_FAILED']);
    expect(errors[0]).toMatchObject({ operation: 'get', key: 'k' });

    // Replaced: the next read is a hit on the reloaded value, with no further error.
    await cache.settle();
    expect(await cache.get('k', () => ({ name: 'not again' }))).toEqual({ name: 'reloaded' });
    expect(codesOf(errors)).toEqual(['DECODE_FAILED']);
  });

  it('treats a hash at the key as a miss served by the loader, every time, and leaves the hash alone', async () => {
    await admin.hset(`${prefix}h`, 'field', 'owned by someone else');
    const loader = jest.fn(() => 'served anyway');
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { value, ms } = await timed(() => cache.get('h', loader));
      expect(value).toBe('served anyway');
      latencies.push(ms);
    }
    await cache.settle();
    expect(Math.max(...latencies)).toBeLessThan(NO_WAIT_BOUND_MS);
    expect(loader).toHaveBeenCalledTimes(5);
    expect(new Set(codesOf(errors))).toEqual(new Set(['REDIS_ERROR']));
    expect((errors[0].cause as Error).message).toMatch(/^WRONGTYPE/);
    expect(await admin.type(`${prefix}h`)).toBe('hash');
    expect(await admin.hgetall(`${prefix}h`)).toEqual({ field: 'owned by someone else' });

    // Five error replies in a row do not open the circuit: other keys still hit.
    await cache.get('other', () => 'cached');
    await cache.settle();
    expect(await isHit(cache, 'other')).toBe(true);
  });
});
