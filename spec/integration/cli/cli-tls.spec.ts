import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib';
import { freePort, startRedisServer, type RedisServer } from '../../support/redis-server';
import {
  makeTestCertificates,
  tlsServerArgs,
  type TestCertificates,
} from '../../support/tls-certificates';
import { runCaptured, runProcess } from './cli-harness';

const PASSWORD = 'tls-cli-Pa55-never-printed';
const PREFIX = 'cli-tls:';

/**
 * The tool over TLS with the password in the URL (`rediss://:password@host:port`), against a
 * redis-server with a TLS port and a CA made by this test: trusted through NODE_EXTRA_CA_CERTS
 * (a child process, since Node reads it at start) or through `--ca <file>`; and the ways it
 * goes wrong (an untrusted certificate, a CA that did not sign it, rediss:// on a plain port,
 * a --ca file that is not there), each a clear message and exit code, never the password.
 */
describe('cache-aside CLI over TLS', () => {
  let certs: TestCertificates;
  let server: RedisServer;
  let tlsPort: number;

  const tlsUrl = (password = PASSWORD) => `rediss://:${password}@127.0.0.1:${tlsPort}`;
  const noSecret = (run: { stdout: string; stderr: string }) => {
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  };

  beforeAll(async () => {
    certs = makeTestCertificates();
    tlsPort = await freePort();
    server = await startRedisServer({ args: tlsServerArgs(certs, tlsPort) });
    const seed = new Redis({ port: server.port, lazyConnect: true });
    await seed.connect();
    const manager = new CacheAsideManager({ redis: seed, keyPrefix: PREFIX });
    try {
      await manager.set('user:1', { name: 'Ada' }, { ttl: 600 });
      await manager.set('user:2', { name: 'Bo' }, { ttl: 600 });
      await manager.set('order:1', 'o', { ttl: 600 });
    } finally {
      await manager.close();
      await seed.quit();
    }
    // Set after seeding: the launcher's readiness check and the seeding run without it.
    server.cli('CONFIG', 'SET', 'requirepass', PASSWORD);
  }, 60_000);

  afterAll(async () => {
    await server.stop();
    certs.remove();
  });

  it('runs ls, inspect and invalidate over rediss:// with the CA from NODE_EXTRA_CA_CERTS (child process)', async () => {
    const env = { NODE_EXTRA_CA_CERTS: certs.caFile, REDIS_URL: tlsUrl() };
    const common = ['--prefix', PREFIX, '--json'];

    const ls = await runProcess(['ls', 'user:*', ...common], env);
    expect(ls.stderr).toBe('');
    expect(ls.code).toBe(0);
    const listed = JSON.parse(ls.stdout) as { keys: Array<{ key: string; state: string }> };
    expect(listed.keys.map((row) => [row.key, row.state]).sort()).toEqual([
      ['user:1', 'fresh'],
      ['user:2', 'fresh'],
    ]);

    const inspect = await runProcess(['inspect', 'user:1', ...common], env);
    expect(inspect.stderr).toBe('');
    expect(inspect.code).toBe(0);
    expect(JSON.parse(inspect.stdout)).toMatchObject({
      key: 'user:1',
      found: true,
      value: { name: 'Ada' },
    });

    const invalidate = await runProcess(['invalidate', 'user:2', ...common], env);
    expect(invalidate.stderr).toBe('');
    expect(invalidate.code).toBe(0);
    expect(JSON.parse(invalidate.stdout)).toEqual({ invalidated: 1 });
    expect(server.cli('-a', PASSWORD, '--no-auth-warning', 'EXISTS', `${PREFIX}user:2`)).toBe('0');
    for (const run of [ls, inspect, invalidate]) noSecret(run);
  });

  it('exits 3 without the CA, saying the certificate is not trusted and how to trust it (child process)', async () => {
    const run = await runProcess(['ls', '--prefix', PREFIX, '--url', tlsUrl()]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /^\[cache-aside\] TLS: the server's certificate at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+\/? is not trusted/,
    );
    expect(run.stderr).toContain('--ca <file>');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    noSecret(run);
  });

  it('trusts the CA given with --ca <file>', async () => {
    const run = await runCaptured([
      'ls',
      'order:*',
      '--json',
      '--prefix',
      PREFIX,
      '--url',
      tlsUrl(),
      '--ca',
      certs.caFile,
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ keys: [{ key: 'order:1', state: 'fresh' }] });
  });

  it('exits 3 with --ca naming a CA that did not sign the certificate, never printing the password', async () => {
    const run = await runCaptured([
      'inspect',
      'user:1',
      '--url',
      tlsUrl(),
      '--ca',
      join(certs.dir, 'other-ca.crt'),
    ]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('is not trusted');
    expect(run.stderr).toContain('--ca');
    expect(run.stdout).toBe('');
    noSecret(run);
  });

  it('exits 3 on a wrong password over TLS, masking both passwords', async () => {
    const wrong = `wrong-${PASSWORD}`;
    const run = await runCaptured(['ls', '--url', tlsUrl(wrong), '--ca', certs.caFile]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('authentication failed');
    expect(run.stderr).not.toContain(wrong);
    noSecret(run);
  });

  it('exits 3 on rediss:// to a port that answers in plain text, naming the likely cause', async () => {
    // What a plain server's first bytes look like to a TLS client (redis-server itself says
    // nothing until it reads a line, which ends as a timeout naming TLS too).
    const sockets = new Set<Socket>();
    const plain = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.end('-ERR this port does not speak TLS\r\n');
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = plain.address() as AddressInfo;
      const run = await runCaptured([
        'ls',
        '--url',
        `rediss://:${PASSWORD}@127.0.0.1:${port}`,
        '--ca',
        certs.caFile,
      ]);
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(
        /TLS handshake with rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+\/? failed/,
      );
      noSecret(run);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  it('exits 2 for a --ca file that cannot be read, or --ca with a redis:// URL', async () => {
    const missing = await runCaptured([
      'ls',
      '--url',
      tlsUrl(),
      '--ca',
      join(certs.dir, 'no-such.crt'),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^\[cache-aside\] cannot read the --ca file .*no-such\.crt/);
    noSecret(missing);
    const plain = await runCaptured([
      'ls',
      '--url',
      `redis://:${PASSWORD}@127.0.0.1:${server.port}`,
      '--ca',
      certs.caFile,
    ]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('--ca needs a rediss:// URL');
    noSecret(plain);
  });
});
