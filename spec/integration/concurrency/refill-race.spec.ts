import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import { newTestClient, ready, uniquePrefix } from '../../support/test-redis';

/** A promise the test opens by hand: the loader waits on it, so interleavings are exact. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** The "database": one row that a writer updates. */
interface Db {
  row: string;
}

type Invalidation = (writer: CacheAsideManager, db: Db) => Promise<unknown>;

describe('CacheAsideManager and the refill race (no stale set after an invalidation)', () => {
  let redis: Redis;
  let otherRedis: Redis;

  beforeAll(async () => {
    redis = newTestClient();
    otherRedis = newTestClient();
    await Promise.all([ready(redis), ready(otherRedis)]);
  });

  afterAll(async () => {
    await Promise.all([redis.quit(), otherRedis.quit()]);
  });

  /**
   * reader misses → its loader reads the old row → (gate) → writer updates the row and runs
   * `invalidation` → gate opens → reader's load finishes. The old row must not be served after.
   */
  async function race(options: {
    invalidation: Invalidation;
    tags?: string[];
    /** The writer is another manager on another client, as another process would be. */
    otherWriter?: boolean;
  }): Promise<{ reader: CacheAsideManager; readerResult: string; prefix: string; db: Db }> {
    const prefix = uniquePrefix('race');
    const reader = new CacheAsideManager({ redis, keyPrefix: prefix, ttlJitter: 0 });
    const writer = options.otherWriter
      ? new CacheAsideManager({ redis: otherRedis, keyPrefix: prefix, ttlJitter: 0 })
      : reader;
    const db: Db = { row: 'old row' };
    const loaderRead = gate();
    const release = gate();
    let loads = 0;
    const loader = async (): Promise<string> => {
      loads++;
      const seen = db.row;
      loaderRead.open();
      await release.promise;
      return seen;
    };
    const opts = options.tags ? { tags: options.tags } : {};
    const reading = reader.get('row', loader, opts);
    await loaderRead.promise;

    db.row = 'new row';
    await options.invalidation(writer, db);
    release.open();
    const readerResult = await reading;
    await reader.settle();
    if (writer !== reader) await writer.close();
    expect(loads).toBe(1);
    return { reader, readerResult, prefix, db };
  }

  const cases: Array<[string, Invalidation, string[] | undefined]> = [
    ['invalidate(key)', (w) => w.invalidate('row'), undefined],
    ['invalidatePattern', (w) => w.invalidatePattern('ro*'), undefined],
    ['invalidateTags (tags on the get)', (w) => w.invalidateTags(['rows']), ['rows']],
  ];

  describe.each([
    ['the same manager', false],
    ['another manager on another client', true],
  ])('invalidation issued by %s', (_, otherWriter) => {
    it.each(cases)(
      '%s: the old row does not land; the next get loads the new row',
      async (__, invalidation, tags) => {
        const { reader, readerResult, prefix, db } = await race({
          invalidation,
          tags,
          otherWriter,
        });
        // The reader itself read before the update: it may return the old row, once.
        expect(readerResult).toBe('old row');
        if (!tags) expect(await redis.exists(`${prefix}row`)).toBe(0);
        const next = jest.fn(async () => db.row);
        expect(await reader.get('row', next, tags ? { tags } : {})).toBe('new row');
        expect(next).toHaveBeenCalledTimes(1);
        await reader.settle();
        // And the new row is what is cached now.
        expect(await reader.get('row', async () => 'not expected', tags ? { tags } : {})).toBe(
          'new row',
        );
        await reader.close();
      },
    );

    it('set (a newer write) wins over the load in flight', async () => {
      const { reader, readerResult } = await race({
        invalidation: (w, db) => w.set('row', db.row),
        otherWriter,
      });
      expect(readerResult).toBe('old row');
      const next = jest.fn(async () => 'loaded again');
      expect(await reader.get('row', next)).toBe('new row');
      expect(next).not.toHaveBeenCalled();
      await reader.close();
    });
  });

  it('a get issued after the invalidation, while the old load is still held, does not join it', async () => {
    const prefix = uniquePrefix('race-join');
    const cache = new CacheAsideManager({ redis, keyPrefix: prefix });
    const db: Db = { row: 'old row' };
    const loaderRead = gate();
    const release = gate();
    const reading = cache.get('row', async () => {
      const seen = db.row;
      loaderRead.open();
      await release.promise;
      return seen;
    });
    await loaderRead.promise;
    db.row = 'new row';
    await cache.invalidate('row');
    // The old load is still held at the gate; a new caller must load the new row itself.
    expect(await cache.get('row', async () => db.row)).toBe('new row');
    release.open();
    expect(await reading).toBe('old row');
    await cache.settle();
    expect(await cache.get('row', async () => 'not expected')).toBe('new row');
    await cache.close();
  });
});
