import Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib';
import { freePort } from '../../support/redis-server';
import { newTestClient, ready, uniquePrefix } from '../../support/test-redis';

/**
 * Issue #12 finding 7: a read that starts after an acknowledged write must not be answered by a
 * load begun before that write. Two managers in one process over the same keys: `down` cannot
 * reach Redis (its reads are served by loads in flight in this process), `up` writes.
 */
describe('CacheAsideManager: joining a load in flight after a write', () => {
  let redis: Redis;
  let unreachable: Redis;
  let up: CacheAsideManager;
  let down: CacheAsideManager;

  beforeAll(async () => {
    redis = newTestClient();
    await ready(redis);
  });
  beforeEach(async () => {
    const keyPrefix = uniquePrefix('join-after-write');
    unreachable = new Redis(await freePort(), {
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    unreachable.on('error', () => undefined);
    up = new CacheAsideManager({ redis, keyPrefix });
    down = new CacheAsideManager({ redis: unreachable, keyPrefix });
    down.on('error', () => undefined);
  });
  afterEach(async () => {
    await Promise.all([up.close(), down.close()]);
    unreachable.disconnect();
  });
  afterAll(() => redis.quit());

  /**
   * A loader that answers `value` once `open()` is called, and `called`, which resolves when the
   * loader has been called (both bounded: they settle anyway after 2 s).
   */
  function gated(value: string): {
    loader: () => Promise<string>;
    open: () => void;
    called: Promise<void>;
  } {
    let open!: () => void;
    let wasCalled!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
      setTimeout(resolve, 2000).unref();
    });
    const called = new Promise<void>((resolve) => {
      wasCalled = resolve;
      setTimeout(resolve, 2000).unref();
    });
    const loader = (): Promise<string> => {
      wasCalled();
      return gate.then(() => value);
    };
    return { loader, open, called };
  }

  it("a read after another manager's acknowledged set does not join a load begun before it", async () => {
    const before = gated('loaded before the write');
    const first = down.get('x', before.loader);
    await before.called; // the load is in flight
    await up.set('x', 'written');
    let laterLoads = 0;
    const later = down.get('x', () => {
      laterLoads++;
      return 'loaded after the write';
    });
    before.open();
    expect(await first).toBe('loaded before the write');
    expect(await later).toBe('loaded after the write');
    expect(laterLoads).toBe(1);
  });

  it("a read after another manager's acknowledged invalidate does not join a load begun before it", async () => {
    const before = gated('loaded before the invalidation');
    const first = down.get('y', before.loader);
    await before.called;
    await up.invalidate('y');
    const later = down.get('y', () => 'loaded after the invalidation');
    before.open();
    await first;
    expect(await later).toBe('loaded after the invalidation');
  });

  it('without a write in between, reads still share the load in flight (one load per key)', async () => {
    const only = gated('the one load');
    let loads = 0;
    const loader = (): Promise<string> => {
      loads++;
      return only.loader();
    };
    const burst = Array.from({ length: 20 }, () => down.get('z', loader));
    await only.called;
    const straggler = down.get('z', loader);
    only.open();
    expect(new Set(await Promise.all([...burst, straggler]))).toEqual(new Set(['the one load']));
    expect(loads).toBe(1);
  });
});
