import { DeadlineExceededError } from '../../../lib/errors/deadline-exceeded.error';
import { errorCodeOf, redisFailureMessage } from '../../../lib/manager/redis-error-code';

/** Errors reported as what they are (issue #11, finding 6): an ACL refusal is not an outage. */
describe('errorCodeOf / redisFailureMessage', () => {
  const reply = (message: string): Error =>
    Object.assign(new Error(message), { name: 'ReplyError' });
  const noPerm = reply(
    'NOPERM this user has no permissions to access one of the keys used as arguments',
  );

  it('reports NOPERM with its own code and a message that names the ACL, not unreachability', () => {
    expect(errorCodeOf(noPerm)).toBe('REDIS_NO_PERMISSION');
    const message = redisFailureMessage('REDIS_NO_PERMISSION', noPerm);
    expect(message).toMatch(/ACL/);
    expect(message).not.toMatch(/unreachable/);
  });

  it('keeps the other codes and their messages', () => {
    expect(errorCodeOf(reply('OOM command not allowed'))).toBe('REDIS_ERROR');
    expect(errorCodeOf(new DeadlineExceededError(5))).toBe('REDIS_TIMEOUT');
    expect(errorCodeOf(new Error('Connection is closed.'))).toBe('REDIS_UNAVAILABLE');
    expect(redisFailureMessage('REDIS_TIMEOUT', undefined)).toMatch(/operationTimeoutMs/);
    expect(redisFailureMessage('REDIS_UNAVAILABLE', undefined)).toMatch(/unreachable/);
  });
});
