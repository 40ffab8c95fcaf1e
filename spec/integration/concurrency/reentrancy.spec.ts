import 'reflect-metadata';
import Redis from 'ioredis';
import {
  Cacheable,
  CacheableMany,
  CacheAsideManager,
  CacheInterceptor,
  ReentrantLoadError,
} from '../../../lib';
import { freePort } from '../../support/redis-server';
import { newTestClient, ready, uniquePrefix } from '../../support/test-redis';

/**
 * Issue #12 finding 4: a loader (or a decorated method) that reads the key it is loading used to
 * join its own load and wait for itself forever. Each case here is bounded: a call that has not
 * settled within HANG_MS counts as hung and fails the spec instead of holding jest open.
 */
const HANG_MS = 3000;

async function settledWithin<T>(
  work: Promise<T>,
): Promise<{ value?: T; error?: unknown; hung?: true }> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<{ hung: true }>((resolve) => {
    timer = setTimeout(() => resolve({ hung: true }), HANG_MS);
  });
  try {
    return await Promise.race([
      work.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      hung,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The call failed at once with a ReentrantLoadError naming exactly `cycle`. */
async function expectCycle(work: Promise<unknown>, cycle: string[]): Promise<void> {
  const outcome = await settledWithin(work);
  expect(outcome.hung).toBeUndefined();
  expect(outcome.error).toBeInstanceOf(ReentrantLoadError);
  const error = outcome.error as ReentrantLoadError;
  expect(error.code).toBe('REENTRANT_LOAD');
  expect(error.cycle).toEqual(cycle);
  expect(error.message).toContain(cycle.join(' → '));
}

describe('CacheAsideManager: a loader that reads the key it is loading', () => {
  let redis: Redis;
  let cache: CacheAsideManager;

  beforeAll(async () => {
    redis = newTestClient();
    await ready(redis);
  });
  beforeEach(() => {
    cache = new CacheAsideManager({ redis, keyPrefix: uniquePrefix('reentrant') });
  });
  afterEach(() => cache.close());
  afterAll(() => redis.quit());

  it('get inside its own loader fails at once naming the cycle, and the key is not left hung', async () => {
    await expectCycle(
      cache.get('a', () => cache.get('a', () => 'inner')),
      ['a', 'a'],
    );
    await cache.settle();
    expect((await settledWithin(cache.get('a', () => 'later'))).value).toBe('later');
  });

  it('a two-key cycle (a loads b, b loads a) fails naming both keys', async () => {
    const loadA = (): Promise<string> => cache.get('b', loadB);
    const loadB = (): Promise<string> => cache.get('a', loadA);
    await expectCycle(cache.get('a', loadA), ['a', 'b', 'a']);
    await cache.settle();
    expect((await settledWithin(cache.get('b', () => 'b later'))).value).toBe('b later');
  });

  it('getMany inside a get loader of one of its keys fails naming the cycle', async () => {
    await expectCycle(
      cache.get('x', () =>
        cache.getMany(['w', 'x'], (missing) => Promise.resolve(missing.map((k) => `${k}!`))),
      ),
      ['x', 'x'],
    );
  });

  it('get inside a getMany loader of its key fails naming the cycle', async () => {
    await expectCycle(
      cache.getMany(['p', 'q'], async (missing) => {
        const q = await cache.get('q', () => 'inner q');
        return missing.map((k) => (k === 'q' ? q : k));
      }),
      ['q', 'q'],
    );
  });

  it('two calls whose loaders each read the other key at once fail naming the cycle, not hang', async () => {
    let bothLoading!: () => void;
    const together = new Promise<void>((resolve) => {
      let loading = 0;
      bothLoading = () => {
        if (++loading === 2) resolve();
      };
    });
    const crossRead = (other: string) => async (): Promise<string> => {
      bothLoading();
      await together; // both loads are in flight before either reads the other key
      return `via ${await cache.get(other, () => `${other} inner`)}`;
    };
    const [a, b] = await Promise.all([
      settledWithin(cache.get('m', crossRead('n'))),
      settledWithin(cache.get('n', crossRead('m'))),
    ]);
    expect(a.hung).toBeUndefined();
    expect(b.hung).toBeUndefined();
    // One of the two reads closes the cycle and fails; the other call fails with it (its
    // loader awaited the failed one) or completes if it was the one refused first.
    const errors = [a.error, b.error].filter((e) => e !== undefined);
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error).toBeInstanceOf(ReentrantLoadError);
      expect((error as ReentrantLoadError).cycle).toHaveLength(3);
    }
    expect([
      ['m', 'n', 'm'],
      ['n', 'm', 'n'],
    ]).toContainEqual((errors[0] as ReentrantLoadError).cycle);
  });

  it('a loader that reads another key does not count as a cycle', async () => {
    const value = await settledWithin(
      cache.get('outer', async () => `outer of ${await cache.get('inner', () => 'inner')}`),
    );
    expect(value.value).toBe('outer of inner');
  });

  it('a fire-and-forget read of the key, begun by a loader that has finished, is not a cycle', async () => {
    let later: Promise<string> | undefined;
    await cache.get('f', () => {
      later = new Promise((resolve) => setTimeout(resolve, 50)).then(() =>
        cache.get('f', () => 'reloaded'),
      );
      return 'first';
    });
    expect((await settledWithin(later!)).value).toMatch(/first|reloaded/);
  });

  it('a reader of another manager on the same keys sees the lease of a load of ours as a cycle', async () => {
    const other = new CacheAsideManager({ redis, keyPrefix: cache.keyPrefix });
    try {
      await expectCycle(
        cache.get('shared', () => other.get('shared', () => 'other')),
        ['shared', 'shared'],
      );
    } finally {
      await other.close();
    }
  });

  describe('decorated methods', () => {
    class Graph {
      @Cacheable({ key: 'node:{0}' })
      async node(id: number): Promise<number> {
        return id === 0 ? 0 : (await this.node(id)) + 1; // calls itself with the same id
      }

      @Cacheable({ key: 'one:{0}' })
      async one(id: number): Promise<number> {
        const [n] = await this.many([id]);
        return n;
      }

      @CacheableMany({ key: 'one:{0}' })
      async many(ids: number[]): Promise<number[]> {
        return Promise.all(ids.map((id) => this.one(id)));
      }
    }

    beforeEach(() => CacheInterceptor.use(cache));
    afterEach(() => CacheInterceptor.reset());

    it('a method calling itself with the same arguments fails naming its key', async () => {
      await expectCycle(new Graph().node(1), ['node:1', 'node:1']);
    });

    it('@Cacheable calling @CacheableMany calling it back fails naming the cycle', async () => {
      await expectCycle(new Graph().one(7), ['one:7', 'one:7']);
    });
  });

  it('with Redis down, a loader reading its own key fails at once and the key is not hung after', async () => {
    const down = new Redis(await freePort(), {
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    down.on('error', () => undefined);
    const offline = new CacheAsideManager({ redis: down, keyPrefix: cache.keyPrefix });
    offline.on('error', () => undefined);
    try {
      await expectCycle(
        offline.get('d', () => offline.get('d', () => 'inner')),
        ['d', 'd'],
      );
      expect((await settledWithin(offline.get('d', () => 'next'))).value).toBe('next');
    } finally {
      await offline.close();
      down.disconnect();
    }
  });
});
