import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startRedisServer, type RedisServer } from '../../support/redis-server';

const ROOT = resolve(__dirname, '../../..');

/** What the scratch project runs: a cached read on node-redis, and proof that ioredis is absent. */
const SCRIPT = `
const { createClient } = require('redis');
const { CacheAsideManager } = require('cache-aside');
(async () => {
  let ioredis = 'absent';
  try { require.resolve('ioredis'); ioredis = 'installed'; } catch {}
  const client = createClient({ url: process.env.REDIS_URL });
  client.on('error', () => undefined);
  await client.connect();
  const cache = new CacheAsideManager({ redis: client, keyPrefix: 'packed:' + process.pid + ':' });
  let loads = 0;
  const loader = async (key) => { loads++; return { key, at: 1 }; };
  const first = await cache.get('user:1', loader);
  await cache.settle();
  const second = await cache.get('user:1', loader);
  await cache.invalidatePattern('*');
  await cache.close();
  await client.close();
  console.log(JSON.stringify({ ioredis, loads, first, second }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

/**
 * The package as users get it: built, packed with `npm pack`, installed from the tarball in a
 * scratch project under the OS temp dir together with node-redis only (no ioredis), then a
 * cached read against a redis-server this test starts.
 */
describe('the packed package, installed with node-redis only', () => {
  let server: RedisServer;
  let scratch: string;

  beforeAll(async () => {
    server = await startRedisServer();
    scratch = mkdtempSync(join(tmpdir(), 'cache-aside-packed-'));
  });

  afterAll(async () => {
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('runs a cached read on a node-redis client', () => {
    // Built and packed from a staging copy, so the worktree's own dist/ is left alone.
    const staging = join(scratch, 'staging');
    cpSync(join(ROOT, 'package.json'), join(staging, 'package.json'));
    cpSync(join(ROOT, 'README.md'), join(staging, 'README.md'));
    execFileSync(
      process.execPath,
      [
        require.resolve('typescript/bin/tsc'),
        '-p',
        join(ROOT, 'tsconfig.build.json'),
        '--outDir',
        join(staging, 'dist'),
      ],
      { stdio: 'pipe' },
    );
    execFileSync('npm', ['pack', '--silent', '--pack-destination', scratch], {
      cwd: staging,
      stdio: 'pipe',
    });
    const tarball = readdirSync(scratch).find((name) => name.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    const app = join(scratch, 'app');
    cpSync(join(scratch, tarball!), join(app, tarball!));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', `./${tarball!}`, 'redis@5'],
      { cwd: app, stdio: 'pipe', timeout: 150_000 },
    );
    writeFileSync(join(app, 'read.js'), SCRIPT);
    const out = execFileSync(process.execPath, ['read.js'], {
      cwd: app,
      env: { ...process.env, REDIS_URL: server.url },
      timeout: 30_000,
    }).toString();
    expect(JSON.parse(out)).toEqual({
      ioredis: 'absent',
      loads: 1,
      first: { key: 'user:1', at: 1 },
      second: { key: 'user:1', at: 1 },
    });
  }, 240_000);
});
