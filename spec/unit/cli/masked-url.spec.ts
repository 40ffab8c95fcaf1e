import { maskedUrl, withoutSecret } from '../../../lib/cli/masked-url';
import { parseRedisUrl, connectionError } from '../../../lib/cli/redis-connection';

describe('URLs and secrets', () => {
  it('masks the password of a URL and only that', () => {
    expect(maskedUrl('redis://user:hunter2@host:6380/1')).toBe('redis://user:***@host:6380/1');
    expect(maskedUrl('rediss://:hunter2@host')).toBe('rediss://:***@host');
    expect(maskedUrl('redis://host:6379')).toBe('redis://host:6379');
    expect(maskedUrl('not a url://:hunter2@x')).not.toContain('hunter2');
  });

  it('removes a secret from any message', () => {
    expect(withoutSecret('bad pass hunter2 here hunter2', 'hunter2')).toBe('bad pass *** here ***');
    expect(withoutSecret('nothing', undefined)).toBe('nothing');
  });

  it('parses redis and rediss URLs', () => {
    expect(parseRedisUrl('rediss://u:p%40ss@example.com:6390/3')).toEqual({
      host: 'example.com',
      port: 6390,
      db: 3,
      tls: true,
      credentials: { username: 'u', password: 'p@ss' },
    });
    expect(parseRedisUrl('redis://[::1]')).toMatchObject({
      host: '::1',
      port: 6379,
      db: 0,
      tls: false,
    });
    expect(() => parseRedisUrl('redis://h/x')).toThrow(/database in --url must be a number/);
  });

  it('names the fix for connection failures, with exit code 3 and no password', () => {
    const url = 'redis://:***@h:1';
    const cases: Array<[unknown, RegExp]> = [
      [
        new Error('WRONGPASS invalid username-password pair or user is disabled.'),
        /authentication failed/,
      ],
      [new Error('NOAUTH Authentication required.'), /requires a password/],
      [
        Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
        /connection refused/,
      ],
      [Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }), /unknown host/],
      [new Error('timed out'), /no answer from .* in time/],
      [
        Object.assign(new Error('self-signed certificate in certificate chain'), {
          code: 'SELF_SIGNED_CERT_IN_CHAIN',
        }),
        /^\[cache-aside\] TLS: the server's certificate at .* is not trusted \(self-signed .*--ca <file>/,
      ],
      [
        Object.assign(new Error("Hostname/IP does not match certificate's altnames"), {
          code: 'ERR_TLS_CERT_ALTNAME_INVALID',
        }),
        /certificate does not name the host of redis:\/\/:\*\*\*@h:1/,
      ],
      [
        Object.assign(new Error('ssl3_get_record:wrong version number'), {
          code: 'ERR_SSL_WRONG_VERSION_NUMBER',
        }),
        /TLS handshake with .* failed: is that port a TLS port\?/,
      ],
      [
        new Error('something odd about s3cret'),
        /cannot use Redis at redis:\/\/:\*\*\*@h:1: something odd about \*\*\*/,
      ],
    ];
    for (const [error, message] of cases) {
      const failure = connectionError(error, url, 's3cret');
      expect(failure.exitCode).toBe(3);
      expect(failure.message).toMatch(message);
      expect(failure.message).not.toContain('s3cret');
    }
  });
});
