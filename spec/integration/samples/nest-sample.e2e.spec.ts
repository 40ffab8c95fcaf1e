import 'reflect-metadata';
import { spawn } from 'node:child_process';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Pool } from 'pg';
import { AppModule } from '../../../samples/nest/app.module';
import { startRedisServer, freePort, type RedisServer } from '../../support/redis-server';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Stats {
  databaseQueries: number;
  cache: { hits: number; misses: number };
}

/** The sample app, started for real on a free port and exercised over HTTP. */
describe('samples/nest over HTTP (PostgreSQL, a redis-server of its own)', () => {
  let server: RedisServer;
  let app: INestApplication;
  let base: string;
  const table = `cache_aside_nest_spec_${process.pid}_${Date.now()}`;

  async function http<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(response.status).toBeLessThan(300);
    return (await response.json()) as T;
  }
  const queries = async (): Promise<number> => (await http<Stats>('GET', '/stats')).databaseQueries;

  beforeAll(async () => {
    server = await startRedisServer();
    app = await NestFactory.create(
      AppModule.register({ databaseUrl: DATABASE_URL, redisUrl: server.url, table }),
      { logger: false },
    );
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    // Closing twice is harmless; closing here too drops the table if a test failed midway.
    await app.close();
    await server.stop();
  });

  it('answers a repeated GET without querying the database', async () => {
    const before = await queries();
    const first = await http<{ name: string }>('GET', '/products/1');
    expect(first.name).toBe('Espresso cup');
    for (let i = 0; i < 5; i++) expect(await http('GET', '/products/1')).toEqual(first);
    expect((await queries()) - before).toBe(1);
  });

  it('evicts on PUT: the next GET reads the new row once', async () => {
    await http('GET', '/products/3');
    await http('GET', '/products?category=office');
    const before = await queries();
    await http('PUT', '/products/3/price', { priceCents: 4900 });
    expect((await http<{ priceCents: number }>('GET', '/products/3')).priceCents).toBe(4900);
    expect((await http<{ priceCents: number }>('GET', '/products/3')).priceCents).toBe(4900);
    const listing = await http<Array<{ priceCents: number }>>('GET', '/products?category=office');
    expect(listing[0].priceCents).toBe(4900);
    // The UPDATE, one read of the product, one of the listing.
    expect((await queries()) - before).toBe(3);
  });

  it('stores the new version on PATCH (CachePut): the next GET is a hit', async () => {
    await http('PATCH', '/products/2', { name: 'Blue teapot' });
    const before = await queries();
    expect((await http<{ name: string }>('GET', '/products/2')).name).toBe('Blue teapot');
    expect((await queries()) - before).toBe(0);
  });

  it('serves from the database while Redis is stopped', async () => {
    await server.kill();
    const before = await queries();
    expect((await http<{ name: string }>('GET', '/products/1')).name).toBe('Espresso cup');
    expect((await http<{ name: string }>('GET', '/products/1')).name).toBe('Espresso cup');
    expect((await queries()) - before).toBe(2);
    await server.restart();
  });

  it('closes cleanly: app.close() resolves, the table is dropped', async () => {
    await expect(app.close()).resolves.toBeUndefined();
    const pool = new Pool({ connectionString: DATABASE_URL, max: 1 });
    try {
      const { rows } = await pool.query('SELECT to_regclass($1) AS t', [table]);
      expect((rows[0] as { t: unknown }).t).toBeNull();
    } finally {
      await pool.end();
    }
  });
});

/** Runs `npx tsx <script>` and resolves with its exit code and output; fails past the deadline. */
async function runSample(
  script: string,
  env: Record<string, string>,
  deadlineMs = 60_000,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), script], {
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

describe('samples/nest/main.ts run as a user would (npx tsx)', () => {
  it('finishes and exits by itself with Redis up', async () => {
    const server = await startRedisServer();
    try {
      const { code, output } = await runSample('samples/nest/main.ts', {
        REDIS_URL: server.url,
        DATABASE_URL,
      });
      expect(output).toContain('GET /products/2');
      expect(code).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it('finishes and exits by itself with nothing listening at REDIS_URL', async () => {
    const { code, output } = await runSample('samples/nest/main.ts', {
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      DATABASE_URL,
    });
    expect(output).toContain('Redis is unreachable');
    expect(output).toContain('GET /products/2');
    expect(code).toBe(0);
  });
});
