import { DeadlineExceededError } from '../../../lib/errors/deadline-exceeded.error';
import { DeadlineQueue, SWEEP_MS, type Waiter } from '../../../lib/redis/deadline';
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

  describe('after the process was stalled past the deadline', () => {
    /** A queue on a clock of the test's own: the timers fire when told, the clock jumps. */
    function stalledQueue(): {
      queue: DeadlineQueue;
      stall: (ms: number) => void;
      run: (ms: number) => void;
    } {
      let clock = 0;
      const queue = new DeadlineQueue(100, undefined, () => clock);
      return {
        queue,
        stall: (ms) => {
          clock += ms;
          jest.advanceTimersByTime(SWEEP_MS); // the sweep fires late, when the process runs again
        },
        run: (ms) => {
          for (let t = 0; t < ms; t++) {
            clock += 1;
            jest.advanceTimersByTime(1);
          }
        },
      };
    }

    it('lets the turn read its sockets first: a waiter answered in that turn is not expired', () => {
      const { queue, stall } = stalledQueue();
      const expire = jest.fn();
      const answered = waiter(expire);
      queue.add(answered);
      stall(300);
      expect(expire).not.toHaveBeenCalled();
      answered.isResolved = true; // the reply read in this turn's poll phase
      jest.runOnlyPendingTimers(); // the turn's setImmediate
      expect(expire).not.toHaveBeenCalled();
      expect(queue.size).toBe(0);
    });

    it('expires a waiter still unanswered after that turn', () => {
      const { queue, stall } = stalledQueue();
      const expire = jest.fn<undefined, [Error]>();
      queue.add(waiter(expire));
      stall(300);
      expect(expire).not.toHaveBeenCalled();
      jest.runOnlyPendingTimers();
      expect(expire).toHaveBeenCalledTimes(1);
      expect(expire.mock.calls[0][0]).toBeInstanceOf(DeadlineExceededError);
    });

    it('sweeps as usual when the process ran on time, or when nothing is overdue yet', () => {
      const { queue, stall, run } = stalledQueue();
      const expire = jest.fn();
      queue.add(waiter(expire));
      stall(60); // late, but nothing overdue: an ordinary sweep, which keeps the waiter
      expect(queue.size).toBe(1);
      run(40);
      expect(expire).toHaveBeenCalledTimes(1); // on time: expired in the sweep itself
    });
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
