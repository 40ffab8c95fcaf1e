import { DeadlineExceededError, withDeadline } from '../../../lib/redis/deadline';
import { errorCodeOf, isReplyError, RedisUnavailableError } from '../../../lib/redis/redis-errors';

describe('withDeadline', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('passes a value through before the deadline', async () => {
    await expect(withDeadline(Promise.resolve(7), 100)).resolves.toBe(7);
  });

  it('passes a rejection through unchanged', async () => {
    const error = new Error('boom');
    await expect(withDeadline(Promise.reject(error), 100)).rejects.toBe(error);
  });

  it('rejects with DeadlineExceededError when nothing answers in time', async () => {
    const never = new Promise<never>(() => undefined);
    const result = withDeadline(never, 100);
    jest.advanceTimersByTime(100);
    await expect(result).rejects.toEqual(expect.objectContaining({ name: 'DeadlineExceededError', ms: 100 }));
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
