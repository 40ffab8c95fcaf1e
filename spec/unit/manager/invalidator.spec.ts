import type { Invalidation } from '../../../lib/entry/invalidation';
import type { CacheError } from '../../../lib/errors/cache-error';
import { Invalidator } from '../../../lib/manager/invalidator';
import type { TagVersions } from '../../../lib/manager/tag-versions';
import { Telemetry } from '../../../lib/manager/telemetry';
import type { RedisGateway } from '../../../lib/redis/redis-gateway';

/** A gateway whose Redis can be switched off, and that remembers what reached it. */
class FakeGateway {
  up = true;
  unlinked: string[][] = [];
  matched: string[] = [];
  private recovered: Array<() => void> = [];

  onRecovered(listener: () => void): void {
    this.recovered.push(listener);
  }

  recover(): void {
    this.up = true;
    for (const listener of this.recovered) listener();
  }

  async unlink(keys: readonly string[]): Promise<number> {
    if (!this.up) throw new Error('Connection is closed.');
    this.unlinked.push([...keys]);
    return keys.length;
  }

  /** What the keys held (here: entries, one byte each) and the UNLINK. */
  async unlinkWithHeads(keys: readonly string[]): Promise<{ removed: number; heads: Buffer[] }> {
    const removed = await this.unlink(keys);
    return { removed, heads: keys.map(() => Buffer.of(0xca)) };
  }

  async unlinkMatching(match: string): Promise<number> {
    if (!this.up) throw new Error('Connection is closed.');
    this.matched.push(match);
    return 3;
  }
}

describe('Invalidator', () => {
  let gateway: FakeGateway;
  let telemetry: Telemetry;
  let errors: CacheError[];
  let tagInvalidations: string[][];
  let published: Invalidation[];
  let invalidator: Invalidator;

  function build(queueSize = 100): Invalidator {
    const tags = {
      invalidate: async (names: readonly string[]) => {
        if (!gateway.up) throw new Error('Connection is closed.');
        tagInvalidations.push([...names]);
      },
    } as unknown as TagVersions;
    return new Invalidator(gateway as unknown as RedisGateway, tags, telemetry, {
      keyPrefix: 'p:',
      queueSize,
      retryMs: 1000,
      closeTimeoutMs: 200,
      publish: async (item) => {
        published.push(item);
      },
    });
  }

  beforeEach(() => {
    jest.useFakeTimers();
    gateway = new FakeGateway();
    telemetry = new Telemetry();
    errors = [];
    telemetry.events.on('error', (e) => errors.push(e));
    tagInvalidations = [];
    published = [];
    invalidator = build();
  });

  afterEach(() => {
    invalidator.stop();
    jest.useRealTimers();
  });

  it('runs keys, patterns and tags against Redis, then tells the other instances', async () => {
    expect(await invalidator.run({ kind: 'keys', keys: ['p:a', 'p:b'] }, 'invalidate')).toBe(2);
    expect(await invalidator.run({ kind: 'pattern', match: 'p:u*' }, 'invalidatePattern')).toBe(3);
    expect(await invalidator.run({ kind: 'tags', tags: ['t'] }, 'invalidateTags')).toBe(1);
    expect(gateway.unlinked).toEqual([['p:a', 'p:b']]);
    expect(gateway.matched).toEqual(['p:u*']);
    expect(tagInvalidations).toEqual([['t']]);
    expect(published.map((i) => i.kind)).toEqual(['keys', 'pattern', 'tags']);
    expect(telemetry.counters.evictions).toBe(5);
  });

  it('tells its listeners before Redis has it (the local tier drops at once)', async () => {
    const heard: Invalidation[] = [];
    invalidator.onInvalidation((item) => heard.push(item));
    gateway.up = false;
    await invalidator.run({ kind: 'keys', keys: ['p:a'] }, 'invalidate', 'a');
    expect(heard).toEqual([{ kind: 'keys', keys: ['p:a'] }]);
  });

  it('never throws for Redis trouble: queues, reports, covers the key until replayed', async () => {
    gateway.up = false;
    expect(await invalidator.run({ kind: 'keys', keys: ['p:a'] }, 'invalidate', 'a')).toBe(0);
    expect(invalidator.pending).toBe(1);
    expect(invalidator.covers('p:a')).toBe(true);
    expect(invalidator.covers('p:b')).toBe(false);
    expect(errors.map((e) => e.code)).toEqual(['REDIS_UNAVAILABLE', 'INVALIDATION_DEFERRED']);
    gateway.recover();
    await jest.advanceTimersByTimeAsync(0);
    expect(invalidator.pending).toBe(0);
    expect(invalidator.covers('p:a')).toBe(false);
    expect(gateway.unlinked).toEqual([['p:a']]);
  });

  it('covers keys under a queued pattern, and entries carrying a queued tag', async () => {
    gateway.up = false;
    await invalidator.run({ kind: 'pattern', match: 'p:user:*' }, 'invalidatePattern');
    await invalidator.run({ kind: 'tags', tags: ['t'] }, 'invalidateTags');
    expect(invalidator.covers('p:user:1')).toBe(true);
    expect(invalidator.covers('p:order:1')).toBe(false);
    expect(invalidator.coversTags([{ tag: 't' }])).toBe(true);
    expect(invalidator.coversTags([{ tag: 'u' }])).toBe(false);
  });

  it('retries on a timer while Redis stays away, in order, and stops at the first failure', async () => {
    gateway.up = false;
    await invalidator.run({ kind: 'keys', keys: ['p:a'] }, 'invalidate');
    await invalidator.run({ kind: 'keys', keys: ['p:b'] }, 'invalidate');
    await jest.advanceTimersByTimeAsync(1000);
    expect(invalidator.pending).toBe(2);
    gateway.up = true; // back without a recovery signal: the timer replays
    await jest.advanceTimersByTimeAsync(1000);
    expect(invalidator.pending).toBe(0);
    expect(gateway.unlinked).toEqual([['p:a'], ['p:b']]);
  });

  it('reports a replayed invalidation refused by the ACL (NOPERM) once, drops it, and replays the rest', async () => {
    gateway.up = false;
    await invalidator.run({ kind: 'keys', keys: ['p:a'] }, 'invalidate', 'a');
    await invalidator.run({ kind: 'keys', keys: ['p:b'] }, 'invalidate', 'b');
    errors.length = 0;
    // Back, but the user's ACL changed meanwhile: 'p:a' is refused, 'p:b' still allowed.
    const unlink = gateway.unlink.bind(gateway);
    gateway.unlink = async (keys) => {
      if (keys.includes('p:a')) throw replyError('NOPERM No permissions to access a key');
      return unlink(keys);
    };
    gateway.recover();
    await jest.advanceTimersByTimeAsync(0);
    expect(invalidator.pending).toBe(0);
    expect(invalidator.covers('p:a')).toBe(false);
    expect(gateway.unlinked).toEqual([['p:b']]);
    await jest.advanceTimersByTimeAsync(10_000); // no retry timer left: nothing is tried again
    expect(errors.map((e) => [e.code, e.operation, e.key])).toEqual([
      ['REDIS_NO_PERMISSION', 'invalidate', 'a'],
    ]);
  });

  it('drops the oldest beyond its capacity, and says so', async () => {
    invalidator.stop();
    invalidator = build(2);
    gateway.up = false;
    for (const key of ['p:a', 'p:b', 'p:c']) {
      await invalidator.run({ kind: 'keys', keys: [key] }, 'invalidate', key.slice(2));
    }
    expect(invalidator.pending).toBe(2);
    expect(invalidator.covers('p:a')).toBe(false);
    const dropped = errors.filter((e) => e.code === 'INVALIDATION_DROPPED');
    expect(dropped).toHaveLength(1);
    expect(dropped[0].key).toBe('a');
  });

  it('stop() ends the retry timer', async () => {
    gateway.up = false;
    await invalidator.run({ kind: 'keys', keys: ['p:a'] }, 'invalidate');
    invalidator.stop();
    gateway.up = true;
    await jest.advanceTimersByTimeAsync(5000);
    expect(invalidator.pending).toBe(1);
  });

  describe('drain() (close)', () => {
    let undelivered: number[];
    beforeEach(() => {
      undelivered = [];
      telemetry.events.on('undelivered', ({ count }) => undelivered.push(count));
    });

    it('delivers what is queued when Redis takes it before closeTimeoutMs', async () => {
      gateway.up = false;
      await invalidator.run({ kind: 'keys', keys: ['p:a'] }, 'invalidate', 'a');
      const drained = invalidator.drain();
      await jest.advanceTimersByTimeAsync(60);
      gateway.up = true; // no recovery signal: the drain's own retry finds it
      await jest.advanceTimersByTimeAsync(60);
      await expect(drained).resolves.toBe(0);
      expect(gateway.unlinked).toEqual([['p:a']]);
      expect(undelivered).toEqual([]);
    });

    it('gives up after closeTimeoutMs, reports the count, and tries nothing afterwards', async () => {
      gateway.up = false;
      await invalidator.run({ kind: 'keys', keys: ['p:a', 'p:b'] }, 'invalidate');
      await invalidator.run({ kind: 'tags', tags: ['t'] }, 'invalidateTags');
      const drained = invalidator.drain();
      await jest.advanceTimersByTimeAsync(250);
      await expect(drained).resolves.toBe(3);
      expect(undelivered).toEqual([3]);
      const report = errors.find((e) => e.code === 'INVALIDATION_UNDELIVERED');
      expect(report?.operation).toBe('close');
      expect(report?.message).toMatch(/3 queued invalidations/);
      gateway.recover();
      await jest.advanceTimersByTimeAsync(5000);
      expect(gateway.unlinked).toEqual([]);
      expect(invalidator.pending).toBe(3);
    });

    it('resolves at once with nothing queued, reporting nothing', async () => {
      await expect(invalidator.drain()).resolves.toBe(0);
      expect(undelivered).toEqual([]);
    });
  });
});

/** An error reply as ioredis raises it (recognised by name). */
function replyError(message: string): Error {
  const error = new Error(message);
  error.name = 'ReplyError';
  return error;
}
