/**
 * An Express 5 API with a cached repository over PostgreSQL: asks itself for the same product
 * a few times over HTTP and prints the response time of the miss against the hits, then a PUT
 * that evicts, then exits — with Redis up, down, or never there.
 *
 *   npx tsx samples/express/main.ts
 *
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), REDIS_URL (default
 * redis://127.0.0.1:6379). It creates its own table and drops it at the end.
 */
import 'reflect-metadata';
import { startExpressSample } from './app';

async function main(): Promise<void> {
  const sample = await startExpressSample({
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    table: `cache_aside_express_sample_${process.pid}`,
  });
  try {
    const call = async (label: string, method: string, path: string, body?: unknown) => {
      const started = performance.now();
      const response = await fetch(sample.url + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      const ms = (performance.now() - started).toFixed(1);
      console.log(
        `${label.padEnd(18)} ${method} ${path.padEnd(20)} ${ms.padStart(6)} ms  (server ${response.headers.get('server-timing') ?? '-'})  db queries: ${sample.stats().databaseQueries}  ${text}`,
      );
    };
    await call('miss', 'GET', '/products/1');
    await call('hit', 'GET', '/products/1');
    await call('hit', 'GET', '/products/1');
    await call('evict', 'PUT', '/products/1/price', { priceCents: 1200 });
    await call('miss (new price)', 'GET', '/products/1');
    await call('hit', 'GET', '/products/1');
  } finally {
    await sample.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
