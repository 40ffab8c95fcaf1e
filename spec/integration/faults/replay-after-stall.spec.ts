import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import {
  FAULT_OPTIONS,
  Measurements,
  newFaultClient,
  pollUntil,
  timed,
} from '../../support/fault-kit';
import { ready, uniquePrefix } from '../../support/test-redis';

const measured = new Measurements('a queued invalidation once a stalled connection carries again');
afterAll(() => measured.print());

/**
 * The soak's stale reads after a stall (issue #12): a `set` refused while the circuit was open
 * queues an invalidation, and other processes read the old entry from Redis until it is replayed.
 * Once the connection carries again, the replay must follow the first command that succeeds —
 * whichever call it was, a `getMany` chunk included — and a `getMany` that probed the open
 * circuit and timed out must not leave the circuit waiting for a probe that never ends. The
 * retry timer is a minute away, so only recovery itself can trigger the replay here.
 */
describe('a queued invalidation after a stall', () => {
  let server: RedisServer;
  let proxy: FaultProxy;
  let client: Redis;
  let admin: Redis;
  let cache: CacheAsideManager;
  let prefix: string;

  beforeAll(async () => {
    server = await startRedisServer();
  });

  beforeEach(async () => {
    proxy = await startFaultProxy(server.port);
    client = newFaultClient(proxy.url);
    admin = newFaultClient(server.url);
    await Promise.all([ready(client), ready(admin)]);
    prefix = uniquePrefix('replay-after-stall');
    cache = new CacheAsideManager({
      redis: client,
      keyPrefix: prefix,
      ...FAULT_OPTIONS,
      invalidationRetryMs: 60_000,
    });
    await cache.set('row', 'old row');
  });

  afterEach(async () => {
    proxy.release();
    await cache.close();
    client.disconnect();
    admin.disconnect();
    await proxy.close();
  });

  afterAll(() => server.stop());

  /** Stalls the connection, opens the circuit, and has `set` refused and queued. */
  async function queueRefusedSet(): Promise<void> {
    proxy.stall();
    for (let i = 0; i < 3; i++) await cache.get(`cold${i}`, () => 'x');
    expect(cache.stats().circuit).toBe('open');
    await cache.set('row', 'new row');
    expect(cache.stats().pendingInvalidations).toBe(1);
  }

  /** Polls, bounded, until Redis no longer holds the old entry; returns how long that took. */
  async function oldEntryGone(label: string, traffic: () => Promise<unknown>): Promise<number> {
    const { ms } = await timed(() =>
      pollUntil(
        'the queued invalidation replayed',
        async () => {
          await traffic();
          return (await admin.exists(`${prefix}row`)) === 0;
        },
        { timeoutMs: 5000, intervalMs: 20 },
      ),
    );
    measured.add(label, ms);
    return ms;
  }

  /** The cool-down, one deadline, and room for a loaded 2-core machine. */
  const BOUND_MS =
    FAULT_OPTIONS.circuitBreaker.cooldownMs + FAULT_OPTIONS.operationTimeoutMs + 1000;

  it('is replayed when a getMany is the first command to succeed', async () => {
    await queueRefusedSet();
    proxy.release();
    const ms = await oldEntryGone('replayed after a getMany probe (ms after release)', () =>
      cache.getMany([`many${Date.now()}`], (keys) => keys.map(() => 'm')),
    );
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it('is replayed after a getMany probed the open circuit during the stall', async () => {
    await queueRefusedSet();
    // Past the cool-down, still stalled: the getMany's chunk is the one probe, and times out.
    await new Promise((resolve) => setTimeout(resolve, FAULT_OPTIONS.circuitBreaker.cooldownMs));
    expect(await cache.getMany(['during'], (keys) => keys.map(() => 'd'))).toEqual(['d']);
    proxy.release();
    const ms = await oldEntryGone('replayed after a stalled getMany probe (ms after release)', () =>
      cache.get(`probe${Date.now()}`, () => 'p'),
    );
    expect(ms).toBeLessThan(BOUND_MS);
  });
});
