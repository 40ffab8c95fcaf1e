/**
 * A NestJS application with a cached service over PostgreSQL: boots, answers a few HTTP
 * requests of its own (a miss, a hit, a PUT that evicts, a PATCH that updates the cache), prints
 * what each cost, then closes and exits — with Redis up, down, or never there.
 *
 *   npx tsx samples/nest/main.ts
 *
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) and REDIS_URL (default
 * redis://127.0.0.1:6379). It creates its own table (named after its process id) and drops it
 * on shutdown. KEEP_RUNNING=1 keeps it serving on PORT (default 3000) until Ctrl-C.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function main(): Promise<void> {
  const app = await NestFactory.create(
    AppModule.register({
      databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
      redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      table: `cache_aside_nest_sample_${process.pid}`,
    }),
    { logger: ['error', 'warn'] },
  );
  app.enableShutdownHooks();
  const keepRunning = process.env.KEEP_RUNNING === '1';
  try {
    await app.listen(keepRunning ? Number(process.env.PORT ?? 3000) : 0, '127.0.0.1');
    const base = await app.getUrl();
    console.log(`Nest sample listening on ${base}`);
    await tour(base);
  } finally {
    if (!keepRunning) await app.close();
  }
}

async function tour(base: string): Promise<void> {
  const call = async (method: string, path: string, body?: unknown): Promise<void> => {
    const started = performance.now();
    const response = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const ms = (performance.now() - started).toFixed(1);
    const { databaseQueries } = (await (await fetch(`${base}/stats`)).json()) as {
      databaseQueries: number;
    };
    console.log(
      `${`${method} ${path}`.padEnd(28)} ${response.status} ${ms.padStart(6)} ms  db queries so far: ${databaseQueries}  ${text}`,
    );
  };
  await call('GET', '/products/1'); // miss: one query
  await call('GET', '/products/1'); // hit: no query
  await call('GET', '/products?category=kitchen');
  await call('GET', '/products?category=kitchen');
  await call('PUT', '/products/1/price', { priceCents: 1200 }); // evicts product:1 and listings
  await call('GET', '/products/1'); // miss again: the new price
  await call('PATCH', '/products/2', { name: 'Blue teapot' }); // stores the new version
  await call('GET', '/products/2'); // hit: no query
  await call('GET', '/reports/categories'); // the named 'reports' manager: one query
  await call('GET', '/reports/categories'); // hit: no query
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
