import { inspect } from 'node:util';
import { CacheError } from '../../../lib/errors/cache-error';
import { RedactedError, safeMessage } from '../../../lib/errors/redacted-error';

/** What ioredis rejects with when Redis refuses a command: the command rides along. */
function replyError(message: string, args: unknown[]): Error {
  const error = new Error(message);
  error.name = 'ReplyError';
  Object.assign(error, { command: { name: 'set', args } });
  return error;
}

describe('RedactedError', () => {
  it('keeps the name, a short code and the message, drops the command and its arguments', () => {
    const original = replyError('NOPERM this user has no permissions to run the command', [
      'app:key',
      Buffer.from('THE-CACHED-VALUE'),
    ]);
    Object.assign(original, { code: 'NOPERM' });
    const redacted = new RedactedError(original);
    expect(redacted).toMatchObject({
      name: 'ReplyError',
      code: 'NOPERM',
      message: 'NOPERM this user has no permissions to run the command',
    });
    const printed = inspect(redacted, { depth: Infinity });
    expect(printed).not.toContain('app:key');
    expect(printed).not.toContain('THE-CACHED-VALUE');
    expect(printed).not.toContain(Buffer.from('THE-CACHED-VALUE').toString('hex').slice(0, 8));
    expect(redacted).not.toHaveProperty('command');
  });

  it('cuts a message at its first quote, where echoed input starts', () => {
    let parseError: unknown;
    try {
      JSON.parse('PLANTED-PAYLOAD-123');
    } catch (error) {
      parseError = error;
    }
    const redacted = new RedactedError(parseError);
    expect(redacted.name).toBe('SyntaxError');
    expect(redacted.message).not.toContain('PLANTED');
    expect(inspect(redacted)).not.toContain('PLANTED');
  });

  it('never keeps control characters or raw bytes, and bounds the length', () => {
    expect(safeMessage('line one\r\nFORGED log line')).toBe('line one  FORGED log line');
    expect(safeMessage('bytes \u0000\u00ff\u2028 here')).toBe('bytes     here');
    expect(safeMessage('x'.repeat(1000))).toHaveLength(201);
  });

  it('redacts causes of causes, to a bounded depth', () => {
    const inner = replyError('WRONGPASS invalid username-password pair', ['user', 'hunter2']);
    const outer = new Error('Connection is closed', { cause: inner });
    const printed = inspect(new RedactedError(outer), { depth: Infinity });
    expect(printed).toContain('WRONGPASS');
    expect(printed).not.toContain('hunter2');
  });

  it('describes a thrown non-error by its type only', () => {
    expect(new RedactedError('a secret string').message).toBe('a thrown string');
    expect(new RedactedError(null).message).toBe('a thrown null');
  });

  it('ignores a code that is not a short token', () => {
    const error = Object.assign(new Error('x'), { code: 'has spaces and "quotes"' });
    expect(new RedactedError(error).code).toBeUndefined();
  });
});

describe('CacheError', () => {
  it('carries a redacted copy of a Redis or decoder cause', () => {
    const original = replyError('OOM command not allowed when used memory > maxmemory', [
      'k',
      'VALUE',
    ]);
    const error = new CacheError('REDIS_ERROR', 'write refused', {
      operation: 'set',
      cause: original,
    });
    expect(error.cause).toBeInstanceOf(RedactedError);
    expect(inspect(error, { depth: Infinity })).not.toContain('VALUE');
  });

  it.each(['CALLBACK_FAILED', 'REFRESH_FAILED'] as const)(
    'passes the application’s own error on unchanged for %s',
    (code) => {
      const own = new Error('the application’s own failure');
      expect(new CacheError(code, 'failed', { cause: own }).cause).toBe(own);
    },
  );
});
