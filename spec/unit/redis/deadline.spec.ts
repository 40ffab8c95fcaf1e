import { DeadlineExceededError, DeadlineQueue } from '../../../lib/redis/deadline';
import { errorCodeOf, isReplyError, RedisUnavailableError } from '../../../lib/redis/redis-errors';

describe('DeadlineQueue', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('expires tickets nobody settled, in order, each at its own deadline', () => {
    const onExpire = jest.fn();
    const queue = new DeadlineQueue(100, onExpire);
    const expired: string[] = [];
    queue.start((error) => expired.push(`a ${error.message}`));
    jest.advanceTimersByTime(40);
    queue.start(() => expired.push('b'));
    jest.advanceTimersByTime(59);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual(['a no answer from Redis within 100 ms']);
    jest.advanceTimersByTime(39);
    expect(expired).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual(['a no answer from Redis within 100 ms', 'b']);
    expect(onExpire).toHaveBeenCalledTimes(2);
    expect(queue.size).toBe(0);
  });

  it('never expires a settled ticket, and drops settled ones when the timer fires', () => {
    const queue = new DeadlineQueue(100);
    const expire = jest.fn();
    const tickets = Array.from({ length: 3000 }, () => queue.start(expire));
    tickets.forEach((ticket) => (ticket.done = true));
    const last = queue.start(expire);
    expect(queue.size).toBe(3001);
    jest.advanceTimersByTime(100);
    expect(expire).toHaveBeenCalledTimes(1);
    expect(last.done).toBe(true);
    expect(queue.size).toBe(0);
  });

  it('keeps waiting for later deadlines after dropping settled ones (and compacts)', () => {
    const queue = new DeadlineQueue(100);
    const expire = jest.fn();
    Array.from({ length: 2000 }, () => queue.start(expire)).forEach((t) => (t.done = true));
    jest.advanceTimersByTime(50);
    queue.start(expire);
    jest.advanceTimersByTime(50);
    expect(expire).not.toHaveBeenCalled();
    expect(queue.size).toBe(1);
    jest.advanceTimersByTime(50);
    expect(expire).toHaveBeenCalledTimes(1);
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
