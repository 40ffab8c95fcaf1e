import { DeadlineExceededError } from '../../../lib/errors/deadline-exceeded.error';
import { DeadlineQueue, STALL_SLACK_MS, SWEEP_MS, type Waiter } from '../../../lib/redis/deadline';
import { RedisUnavailableError } from '../../../lib/errors/redis-unavailable.error';
import { errorCodeOf } from '../../../lib/manager/redis-error-code';
import { isReplyError } from '../../../lib/redis/redis-errors';

/** A waiter as ioredis's Command is one: a flag and a reject. */
function waiter(
  onReject: (error: Error) => void = () => undefined,
): Waiter & { isResolved: boolean } {
  return { isResolved: false, reject: onReject };
}

describe('DeadlineQueue', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('expires waiters nobody resolved, in order, each at its own deadline', () => {
    const onExpire = jest.fn();
    const queue = new DeadlineQueue(100, onExpire);
    const expired: string[] = [];
    queue.add(waiter((error) => expired.push(`a ${error.message}`)));
    jest.advanceTimersByTime(43);
    queue.add(waiter(() => expired.push('b')));
    jest.advanceTimersByTime(56);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual(['a no answer from Redis within 100 ms']);
    jest.advanceTimersByTime(42);
    expect(expired).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual(['a no answer from Redis within 100 ms', 'b']);
    expect(onExpire).toHaveBeenCalledTimes(2);
    expect(queue.size).toBe(0);
  });

  it(`drops answered waiters within ${SWEEP_MS} ms, long before their deadline, so their replies are not held`, () => {
    const queue = new DeadlineQueue(200);
    const expire = jest.fn();
    const answered = Array.from({ length: 3000 }, () => waiter(expire));
    answered.forEach((w) => queue.add(w));
    const pending = waiter(expire);
    queue.add(pending);
    answered.forEach((w) => (w.isResolved = true));
    expect(queue.size).toBe(3001);
    jest.advanceTimersByTime(SWEEP_MS);
    expect(queue.size).toBe(1);
    jest.advanceTimersByTime(200 - SWEEP_MS);
    expect(expire).toHaveBeenCalledTimes(1);
    expect(queue.size).toBe(0);
  });

  it('keeps the order of waiters kept between sweeps, and stops its timer when none is left', () => {
    const queue = new DeadlineQueue(100);
    const expired: string[] = [];
    const first = waiter(() => expired.push('first'));
    const second = waiter(() => expired.push('second'));
    const third = waiter(() => expired.push('third'));
    queue.add(first);
    queue.add(second);
    jest.advanceTimersByTime(30);
    queue.add(third);
    second.isResolved = true;
    jest.advanceTimersByTime(70);
    expect(expired).toEqual(['first']);
    jest.advanceTimersByTime(30);
    expect(expired).toEqual(['first', 'third']);
    expect(queue.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps a waiter added while an expired one is being rejected (a caller retrying at once)', () => {
    const queue = new DeadlineQueue(100);
    const expired: string[] = [];
    const retry = waiter(() => expired.push('retry'));
    queue.add(
      waiter(() => {
        expired.push('first');
        queue.add(retry);
      }),
    );
    jest.advanceTimersByTime(100);
    expect(expired).toEqual(['first']);
    expect(queue.size).toBe(1);
    jest.advanceTimersByTime(100);
    expect(expired).toEqual(['first', 'retry']);
    expect(jest.getTimerCount()).toBe(0);
  });

  describe('measures Redis, not the process (issue #12 finding 5)', () => {
    /** A monotonic clock the spec moves: a stall is time that passes while no timer can run. */
    function manualClock(): { now: () => number; stall: (ms: number) => void } {
      let skipped = 0;
      return { now: () => performance.now() + skipped, stall: (ms) => (skipped += ms) };
    }

    it('leaves out the time the process could not run (a long tick, a GC pause)', () => {
      const clock = manualClock();
      const onExpire = jest.fn();
      const queue = new DeadlineQueue(100, onExpire, clock.now);
      const expire = jest.fn();
      queue.add(waiter(expire));
      clock.stall(250); // the tick that sent the command ran on for 250 ms
      jest.advanceTimersByTime(SWEEP_MS);
      expect(expire).not.toHaveBeenCalled();
      jest.advanceTimersByTime(100 - 2 * SWEEP_MS);
      expect(expire).not.toHaveBeenCalled();
      jest.advanceTimersByTime(2 * SWEEP_MS);
      expect(expire).toHaveBeenCalledTimes(1);
      expect(onExpire).toHaveBeenCalledWith(undefined, 1, false);
    });

    it(`counts a sweep late by no more than ${STALL_SLACK_MS} ms as time that passed`, () => {
      const clock = manualClock();
      const queue = new DeadlineQueue(100, undefined, clock.now);
      const expire = jest.fn();
      queue.add(waiter(expire));
      for (let i = 0; i < 10; i++) {
        clock.stall(STALL_SLACK_MS);
        jest.advanceTimersByTime(SWEEP_MS);
      }
      expect(expire).toHaveBeenCalledTimes(1);
    });

    it('on one ordered connection, expires nothing while Redis answered within the deadline', () => {
      const onExpire = jest.fn();
      const queue = new DeadlineQueue(100, onExpire, undefined, () => true);
      const behind = Array.from({ length: 5 }, () => waiter(() => undefined));
      const expire = jest.fn();
      const last = waiter(expire);
      behind.forEach((w) => queue.add(w));
      queue.add(last);
      // Redis works through the backlog: one answer every 60 ms, past the last one's deadline.
      for (const w of behind) {
        jest.advanceTimersByTime(60);
        w.isResolved = true;
      }
      jest.advanceTimersByTime(SWEEP_MS);
      expect(expire).not.toHaveBeenCalled();
      // Then it stops answering: the deadline runs from the last answer.
      jest.advanceTimersByTime(100 - 2 * SWEEP_MS);
      expect(expire).not.toHaveBeenCalled();
      jest.advanceTimersByTime(2 * SWEEP_MS);
      expect(expire).toHaveBeenCalledTimes(1);
      expect(onExpire).toHaveBeenCalledTimes(1);
    });

    it('without order (a Cluster), expires each at its deadline and tells whether others were answered', () => {
      const onExpire = jest.fn();
      const queue = new DeadlineQueue(100, onExpire);
      const answered = waiter();
      queue.add(waiter());
      queue.add(waiter());
      queue.add(answered);
      jest.advanceTimersByTime(100 - SWEEP_MS);
      answered.isResolved = true;
      jest.advanceTimersByTime(SWEEP_MS);
      expect(onExpire).toHaveBeenCalledTimes(1);
      expect(onExpire).toHaveBeenCalledWith(undefined, 2, true);
    });
  });

  it('names the timeout in its error', () => {
    expect(new DeadlineExceededError(250).message).toMatch(/within 250 ms/);
  });
});

describe('Redis error classification', () => {
  const reply = Object.assign(new Error('OOM command not allowed'), { name: 'ReplyError' });

  it('tells error replies from unreachability and timeouts', () => {
    expect(isReplyError(reply)).toBe(true);
    expect(isReplyError('ReplyError')).toBe(false);
    expect(errorCodeOf(reply)).toBe('REDIS_ERROR');
    expect(errorCodeOf(new DeadlineExceededError(5))).toBe('REDIS_TIMEOUT');
    expect(errorCodeOf(new RedisUnavailableError('down'))).toBe('REDIS_UNAVAILABLE');
    expect(errorCodeOf(new Error('Connection is closed.'))).toBe('REDIS_UNAVAILABLE');
  });
});
