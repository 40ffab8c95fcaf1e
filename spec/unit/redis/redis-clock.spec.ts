import {
  DRIFT_US_PER_MS,
  FENCE_MARGIN_MS,
  RedisClock,
  SAMPLE_MAX_AGE_MS,
} from '../../../lib/redis/redis-clock';

/**
 * The clock offset behind the write fence: each reply bounds Redis time minus ours between
 * `redisTime - receivedAt` and `redisTime - sentAt`; bounds are intersected (widened by the
 * allowed drift as they age), replaced when they no longer overlap, and a fence lies `withinMs`
 * ahead in Redis's clock on the low bound, minus a margin.
 */
describe('RedisClock', () => {
  let now = 1000;
  const clock = new RedisClock(() => now);
  /** A reply carrying Redis's TIME of `redisMs` (ms since the epoch), sent at `sentAt`, received now. */
  const observe = (slot: number, redisMs: number, sentAt = now): void => {
    const us = redisMs * 1000;
    clock.observe(slot, String(Math.floor(us / 1e6)), String(us % 1e6), sentAt);
  };
  /** Where the fence of a 100 ms window lies for an offset of `offsetMs` (no drift). */
  const fenceAt = (offsetMs: number): number => (now + offsetMs + 100 - FENCE_MARGIN_MS) * 1000;

  beforeEach(() => {
    clock.forget();
    now = 1000;
  });

  it('knows no node before a sample and gives no fence', () => {
    expect(clock.knows(0)).toBe(false);
    expect(clock.fence(0, 100)).toBeUndefined();
  });

  it('sets the fence withinMs ahead in Redis time, less the margin', () => {
    observe(0, 5_000_000);
    expect(clock.knows(0)).toBe(true);
    expect(clock.fence(0, 100)).toBe((5_000_000 + 100 - FENCE_MARGIN_MS) * 1000);
  });

  it('takes the tighter low bound of a later reply', () => {
    observe(0, 5_000_000, 990); // sent 10 ms ago: the offset lies in [4 999 000, 4 999 010]
    now = 1020;
    observe(0, 5_000_028, 1019); // lies in [4 999 008, 4 999 009]
    expect(clock.fence(0, 100)).toBe(fenceAt(4_999_008));
  });

  it('a reply read late does not move the fence (issue #12 finding 5, a burst of our own)', () => {
    observe(0, 5_000_000);
    // Six seconds later, in a burst: Redis ran the command at once but the process read the reply
    // three seconds later. Before, this sample replaced the older one (it was over 5 s old) and
    // set every fence three seconds early, so a healthy Redis refused writes as late.
    now += 6000;
    const sentAt = now - 3001;
    observe(0, 5_000_000 + 6000 - 3000, sentAt);
    const drift = 6000 * DRIFT_US_PER_MS;
    expect(clock.fence(0, 100)).toBe(Math.floor(fenceAt(4_999_000) - drift));
  });

  it('replaces bounds that no longer overlap: a clock stepped back, or another node answers', () => {
    observe(0, 5_000_000);
    now += 50;
    observe(0, 4_000_000 + 50); // an instant round trip, a second behind what was known
    expect(clock.fence(0, 100)).toBe(fenceAt(3_999_000));
    now += 50;
    observe(0, 6_000_000 + 100); // and forward
    expect(clock.fence(0, 100)).toBe(fenceAt(5_999_000));
  });

  it('widens what is known by the allowed drift as it ages, on the early side', () => {
    observe(0, 5_000_000);
    now += 10_000;
    expect(clock.fence(0, 100)).toBe(Math.floor(fenceAt(4_999_000) - 10_000 * DRIFT_US_PER_MS));
  });

  it('without a send time a reply only raises the low bound', () => {
    clock.observe(0, '5000', '0'); // 5 000 000 ms, received at 1000
    clock.observe(0, '4000', '0'); // lower: another node or a step, but nothing bounds it above
    expect(clock.fence(0, 100)).toBe(fenceAt(4_999_000));
  });

  it('keeps at least half of a very short deadline', () => {
    observe(0, 5_000_000);
    expect(clock.fence(0, 1)).toBe((5_000_000 + 0.5) * 1000);
  });

  it('keeps one clock per slot and asks again after a long silence', () => {
    observe(1, 5_000_000);
    expect(clock.knows(2)).toBe(false);
    now += SAMPLE_MAX_AGE_MS;
    expect(clock.knows(1)).toBe(false);
  });

  it('ignores a reply without a time', () => {
    clock.observe(0, undefined, 'x');
    expect(clock.knows(0)).toBe(false);
  });
});
