import { FENCE_MARGIN_MS, RedisClock, SAMPLE_MAX_AGE_MS } from '../../../lib/redis/redis-clock';

/**
 * The clock offset behind the write fence: samples are lower bounds of Redis time minus ours, the
 * largest recent one is kept, and a fence lies `withinMs` ahead in Redis's clock, minus a margin.
 */
describe('RedisClock', () => {
  let now = 1000;
  const clock = new RedisClock(() => now);
  /** A reply carrying Redis's TIME of `redisMs` (ms since the epoch), received now. */
  const observe = (slot: number, redisMs: number): void => {
    const us = redisMs * 1000;
    clock.observe(slot, String(Math.floor(us / 1e6)), String(us % 1e6));
  };

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

  it('keeps the largest recent lower bound: a reply that came back late does not lower it', () => {
    observe(0, 5_000_000);
    now = 1010; // Redis read its clock at 5 000 005 but we got the reply 10 ms later
    observe(0, 5_000_005);
    expect(clock.fence(0, 100)).toBe((5_000_000 + 10 + 100 - FENCE_MARGIN_MS) * 1000);
  });

  it('takes a lower sample once the best one is old (a clock stepped back)', () => {
    observe(0, 5_000_000);
    now += 6000;
    observe(0, 4_000_000 + 6000);
    expect(clock.fence(0, 100)).toBe((4_000_000 + 6000 + 100 - FENCE_MARGIN_MS) * 1000);
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
