import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { CacheInterceptor } from '../../../lib';
import { startExpressSample, type RunningExpressSample } from '../../../samples/express/app';
import { freePort, startRedisServer, type RedisServer } from '../../support/redis-server';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const QUERY_MS = 100;

/** One request: its status, body and the handler's own time (Server-Timing). */
async function timedGet(url: string): Promise<{ status: number; body: unknown; appMs: number }> {
  const response = await fetch(url);
  const timing = /dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '');
  return { status: response.status, body: await response.json(), appMs: Number(timing?.[1]) };
}

describe('samples/express over HTTP (PostgreSQL, a redis-server of its own)', () => {
  let server: RedisServer;
  let sample: RunningExpressSample;

  beforeAll(async () => {
    server = await startRedisServer();
    sample = await startExpressSample({
      databaseUrl: DATABASE_URL,
      redisUrl: server.url,
      table: `cache_aside_express_spec_${process.pid}_${Date.now()}`,
      queryMs: QUERY_MS,
    });
  });

  afterAll(async () => {
    await sample.close();
    CacheInterceptor.reset();
    await server.stop();
  });

  it('answers hits without the query, faster than the miss', async () => {
    const miss = await timedGet(`${sample.url}/products/2`);
    expect(miss.status).toBe(200);
    const hits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const hit = await timedGet(`${sample.url}/products/2`);
      expect(hit.body).toEqual(miss.body);
      hits.push(hit.appMs);
    }
    expect(sample.stats().databaseQueries).toBe(1);
    expect(miss.appMs).toBeGreaterThanOrEqual(QUERY_MS);
    const median = [...hits].sort((a, b) => a - b)[2];
    console.log(`[measured] Express sample: miss ${miss.appMs} ms, hit median ${median} ms`);
    expect(median).toBeLessThan(miss.appMs);
  });

  it('evicts on PUT: the next GET reads the new price from the database', async () => {
    await timedGet(`${sample.url}/products/1`);
    const before = sample.stats().databaseQueries;
    const put = await fetch(`${sample.url}/products/1/price`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ priceCents: 1500 }),
    });
    expect(put.status).toBe(200);
    expect((await timedGet(`${sample.url}/products/1`)).body).toMatchObject({ priceCents: 1500 });
    expect(sample.stats().databaseQueries - before).toBe(2);
  });

  it('serves from the database while Redis is stopped', async () => {
    await server.kill();
    const before = sample.stats().databaseQueries;
    expect((await timedGet(`${sample.url}/products/1`)).status).toBe(200);
    expect(sample.stats().databaseQueries - before).toBe(1);
    await server.restart();
  });
});

describe('samples/express/main.ts run as a user would (npx tsx)', () => {
  it('finishes and exits by itself with nothing listening at REDIS_URL', async () => {
    const child = spawn(process.execPath, [require.resolve('tsx/cli'), 'samples/express/main.ts'], {
      env: { ...process.env, DATABASE_URL, REDIS_URL: `redis://127.0.0.1:${await freePort()}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`did not exit within 60 s:\n${output}`));
      }, 60_000);
      child.on('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    expect(output).toContain('miss (new price)');
    expect(code).toBe(0);
  });
});
