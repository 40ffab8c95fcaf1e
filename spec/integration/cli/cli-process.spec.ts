import { freePort, startRedisServer, type RedisServer } from '../../support/redis-server';
import { runCaptured, runProcess } from './cli-harness';

const PASSWORD = 'pa55-W0rd-never-printed';

/**
 * The executable as a shell sees it (exit codes, streams), and connection failures against a
 * password-protected server: clear messages, exit 3, and the password never in any output.
 */
describe('cache-aside CLI as a process, and connection failures', () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedisServer();
    // Set after start: the helper's readiness check is a PING without a password.
    server.cli('CONFIG', 'SET', 'requirepass', PASSWORD);
  });

  afterAll(async () => {
    await server.stop();
  });

  const urlWith = (password: string) => `redis://:${password}@127.0.0.1:${server.port}`;

  it('exits 0 with --help, 1 when a key is not there (child process), 2 on usage errors', async () => {
    const help = await runProcess(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: cache-aside <command>');
    expect(help.stdout).toContain('Exit codes:');

    const unknown = await runCaptured(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^\[cache-aside\] unknown command "frobnicate"/);

    const badOption = await runCaptured(['ls', '--no-such-option']);
    expect(badOption.code).toBe(2);

    const missing = await runProcess(['inspect', 'nothing-here', '--json'], {
      REDIS_URL: urlWith(PASSWORD),
    });
    expect(missing.stderr).toBe('');
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toEqual({ key: 'nothing-here', found: false });
  });

  it('exits 3 on a wrong password, naming the fix and masking the password (child process)', async () => {
    const wrong = 'wrong-' + PASSWORD;
    const run = await runProcess(['stats', '--url', urlWith(wrong)]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('authentication failed');
    expect(run.stderr).toContain(`redis://:***@127.0.0.1:${server.port}`);
    expect(run.stderr + run.stdout).not.toContain(wrong);
    expect(run.stderr + run.stdout).not.toContain(PASSWORD);
  });

  it('says a password is needed when none is given', async () => {
    const run = await runCaptured(['ls', '--url', `redis://127.0.0.1:${server.port}`]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/requires a password/);
  });

  it('exits 3 when nothing listens, 2 on a URL that is not a Redis URL, never printing the password', async () => {
    const refused = await runCaptured([
      'ls',
      '--url',
      `redis://:${PASSWORD}@127.0.0.1:${await freePort()}`,
    ]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('connection refused');
    expect(refused.stderr).not.toContain(PASSWORD);
    const wrongScheme = await runCaptured(['ls', '--url', `http://:${PASSWORD}@example.test`]);
    expect(wrongScheme.code).toBe(2);
    expect(wrongScheme.stderr).toContain('must start with redis:// or rediss://');
    expect(wrongScheme.stderr).not.toContain(PASSWORD);
    const notUrl = await runCaptured(['ls', '--url', `:${PASSWORD}@nowhere`]);
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).not.toContain(PASSWORD);
  });

  it('works once the password is right', async () => {
    const run = await runCaptured(['stats', '--json', '--url', urlWith(PASSWORD)]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ namespaces: [] });
  });
});
