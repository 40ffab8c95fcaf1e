import type Redis from 'ioredis';
import { LEASE_MARKER_PREFIX } from '../../../lib/entry/entry-format';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import {
  captureErrors,
  codesOf,
  FAULT_OPTIONS,
  Measurements,
  newFaultClient,
  NO_WAIT_BOUND_MS,
  timed,
} from '../../support/fault-kit';
import { ready, uniquePrefix } from '../../support/test-redis';

const measured = new Measurements('a stalled connection delivers a write the caller gave up on');
afterAll(() => measured.print());

/**
 * Late writes (issue #12, findings 1 and 2). Manager A talks to Redis through a relay that
 * stalls: it holds A's bytes past A's deadline, then delivers them. Manager B (another process,
 * as far as Redis can tell) talks to Redis directly. What A gave up on must not land over what B
 * wrote afterwards, and a lease A gave up on must not make B wait.
 */
describe('a write the caller gave up on (stalled connection)', () => {
  let server: RedisServer;
  let proxy: FaultProxy;
  let clientA: Redis;
  let clientB: Redis;
  let a: CacheAsideManager;
  let b: CacheAsideManager;

  beforeAll(async () => {
    server = await startRedisServer();
  });

  beforeEach(async () => {
    proxy = await startFaultProxy(server.port);
    clientA = newFaultClient(proxy.url);
    clientB = newFaultClient(server.url);
    await Promise.all([ready(clientA), ready(clientB)]);
    // A queued invalidation replays only when asked here: what lands is what the stall delivered.
    const options = { keyPrefix: uniquePrefix('late-writes'), ...FAULT_OPTIONS };
    a = new CacheAsideManager({ redis: clientA, ...options, invalidationRetryMs: 60_000 });
    b = new CacheAsideManager({ redis: clientB, ...options });
    // A write before the stall: the fence knows Redis's clock from it, as it would in service.
    await a.set('warm-up', 'w');
  });

  afterEach(async () => {
    proxy.release();
    await a.close();
    await b.close();
    clientA.disconnect();
    clientB.disconnect();
    await proxy.close();
  });

  afterAll(() => server.stop());

  /** Ends the stall and waits until Redis has run everything A sent during it (one connection). */
  async function releaseAndDrain(): Promise<void> {
    proxy.release();
    await clientA.ping();
  }

  it('a set that timed out never lands over a later set of another process', async () => {
    const errors = captureErrors(a);
    proxy.stall();
    await a.set('x', 'v1'); // fail-open: resolves after the deadline
    expect(codesOf(errors)).toContain('REDIS_TIMEOUT');
    await b.set('x', 'v2'); // acknowledged after A gave up
    await releaseAndDrain();
    expect(await b.get('x', () => 'loaded')).toBe('v2');
  });

  it('a set that timed out never lands over a later invalidation of another process', async () => {
    await b.set('x', 'v0');
    proxy.stall();
    await a.set('x', 'v1');
    expect(await b.invalidate('x')).toBe(1);
    await releaseAndDrain();
    expect(await b.get('x', () => 'loaded')).toBe('loaded');
  });

  it('a lease taken by a command that timed out makes nobody wait', async () => {
    // A's GET goes through; its lease (SET NX or a script) is held by the relay, A gives up on
    // it and serves its loader.
    proxy.stallAt(LEASE_MARKER_PREFIX);
    expect(await a.get('y', () => 'from A')).toBe('from A');
    await releaseAndDrain();
    let loads = 0;
    const { value, ms } = await timed(() => b.get('y', () => `from B ${++loads}`));
    measured.add('get after the stall, of a key whose lease A gave up on', ms);
    expect(value).toBe('from B 1');
    // Polling a lease that nobody holds lasts leaseTtlMs (1 s here); a free key costs no wait.
    expect(ms).toBeLessThan(NO_WAIT_BOUND_MS * 4);
    await b.settle();
    expect(await b.get('y', () => 'not expected')).toBe('from B 1');
  });

  it('a lease whose store timed out makes nobody wait once the connection carries again', async () => {
    // The lease and the loader go through; the store (the only command with this value) stalls.
    proxy.stallAt('value-of-z');
    expect(await a.get('z', () => 'value-of-z')).toBe('value-of-z');
    await a.settle(); // the store times out: A has given up on it
    await releaseAndDrain();
    let loads = 0;
    const { value, ms } = await timed(() => b.get('z', () => `from B ${++loads}`));
    measured.add('get after the stall, of a key whose store A gave up on', ms);
    // The store runs only under A's lease, so it may land late (its fence is the lease's
    // lifetime): nothing was written meanwhile, and A's loaded value is what B gets, at once.
    // Either way nobody waits for a lease that no load is behind.
    expect(value).toBe('value-of-z');
    expect(loads).toBe(0);
    expect(ms).toBeLessThan(NO_WAIT_BOUND_MS * 4);
  });
});
