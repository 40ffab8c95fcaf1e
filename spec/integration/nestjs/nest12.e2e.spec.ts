import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startRedisServer, type RedisServer } from '../../support/redis-server';
import { uniquePrefix } from '../../support/test-redis';

/**
 * The same module and sample on Nest 12, whose packages are ESM: the repository's devDependencies
 * hold Nest 11, so spec/nest-compat installs Nest 12 beside them, and this spec compiles lib/ and
 * the sample into spec/nest-compat/build (CommonJS, as the package ships), where Node resolves
 * `@nestjs/*` to Nest 12 and loads it through require(esm). Each scenario runs in a plain `node`
 * process, exercised over HTTP or reporting what it saw.
 */
const COMPAT = join(__dirname, '..', '..', 'nest-compat');
const BUILD = join(COMPAT, 'build');
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function runNode(
  script: string,
  env: Record<string, string>,
  deadlineMs = 60_000,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [script], {
    cwd: COMPAT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not exit within ${deadlineMs} ms:\n${output}`));
    }, deadlineMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** "db queries so far: N" of each request of the sample's tour, in order. */
function queriesPerStep(output: string): number[] {
  return [...output.matchAll(/db queries so far: (\d+)/g)].map((m) => Number(m[1]));
}

describe('NestJS 12 (ESM, loaded from CommonJS through require(esm))', () => {
  let server: RedisServer;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(COMPAT, 'install.mjs')], { stdio: 'pipe' });
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', COMPAT], {
      stdio: 'pipe',
    });
    server = await startRedisServer();
  }, 240_000);

  afterAll(async () => {
    await server.stop();
  });

  it('resolves @nestjs/core to Nest 12 from the compiled module', () => {
    const resolved = require.resolve('@nestjs/core', { paths: [join(BUILD, 'lib', 'nestjs')] });
    expect(resolved.startsWith(join(COMPAT, 'node_modules'))).toBe(true);
    const pkg = JSON.parse(
      readFileSync(join(COMPAT, 'node_modules', '@nestjs', 'core', 'package.json'), 'utf8'),
    ) as { version: string; type?: string };
    expect(pkg.version).toMatch(/^12\./);
    expect(pkg.type).toBe('module');
  });

  it('runs the Nest sample: hits skip PostgreSQL, PUT evicts, PATCH stores, and it exits by itself', async () => {
    const { code, output } = await runNode(join(BUILD, 'samples', 'nest', 'main.js'), {
      REDIS_URL: server.url,
      DATABASE_URL,
    });
    expect(code).toBe(0);
    // miss, hit, listing miss, listing hit, PUT, miss after the eviction, PATCH, hit after the put
    expect(queriesPerStep(output)).toEqual([1, 1, 2, 2, 3, 4, 5, 5]);
  });

  it('runs the Nest sample with nothing listening at REDIS_URL: every read from PostgreSQL, then exits', async () => {
    const { code, output } = await runNode(join(BUILD, 'samples', 'nest', 'main.js'), {
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      DATABASE_URL,
    });
    expect(code).toBe(0);
    expect(queriesPerStep(output)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('keeps two applications on their own managers, and A works after B closes', async () => {
    const { code, output } = await runNode(join(BUILD, 'spec', 'nest-compat', 'two-apps.js'), {
      REDIS_URL: server.url,
      KEY_PREFIX: uniquePrefix('nest12'),
    });
    expect(code).toBe(0);
    const report = JSON.parse(output.trim().split('\n').at(-1)!) as {
      seen: string[];
      loadsA: number;
    };
    expect(report).toEqual({ seen: ['A:1', 'B:1', 'A:1'], loadsA: 1 });
  });
});
