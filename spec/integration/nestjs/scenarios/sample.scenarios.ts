import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Pool } from 'pg';
import { AppModule } from '../../../../samples/nest/app.module';
import { startRedisServer } from '../../../support/redis-server';
import { http, type Scenario } from './support';

interface Stats {
  databaseQueries: number;
  reports: { hits: number };
}

export const sampleScenarios: Record<string, Scenario> = {
  /**
   * samples/nest over HTTP against PostgreSQL and a redis-server of its own (stopped midway): a
   * repeated GET queries once, PUT evicts, PATCH stores, Redis stopped still serves, and
   * app.close() drops the sample's table.
   */
  async sampleOverHttp({ databaseUrl }) {
    const server = await startRedisServer();
    const table = `cache_aside_nest_spec_${process.pid}_${Date.now()}`;
    const app = await NestFactory.create(
      AppModule.register({ databaseUrl, redisUrl: server.url, table }),
      { logger: false },
    );
    try {
      await app.listen(0, '127.0.0.1');
      const base = await app.getUrl();
      const body = async (method: string, path: string, payload?: unknown): Promise<unknown> => {
        const response = await http(method, base + path, payload);
        if (response.status >= 300) throw new Error(`${method} ${path}: HTTP ${response.status}`);
        return response.body;
      };
      const queries = async (): Promise<number> =>
        ((await body('GET', '/stats')) as Stats).databaseQueries;
      // Until the sample's client connected, a read is served by PostgreSQL (fail-open).
      for (let attempt = 0; attempt < 100; attempt++) {
        await body('GET', '/products?category=warm-up');
        const before = await queries();
        await body('GET', '/products?category=warm-up');
        if ((await queries()) === before) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }

      let before = await queries();
      const first = (await body('GET', '/products/1')) as { name: string };
      for (let i = 0; i < 5; i++) await body('GET', '/products/1');
      const repeatedGet = (await queries()) - before;

      await body('GET', '/products/3');
      await body('GET', '/products?category=office');
      before = await queries();
      await body('PUT', '/products/3/price', { priceCents: 4900 });
      const prices = [
        ((await body('GET', '/products/3')) as { priceCents: number }).priceCents,
        ((await body('GET', '/products/3')) as { priceCents: number }).priceCents,
        ((await body('GET', '/products?category=office')) as Array<{ priceCents: number }>)[0]
          .priceCents,
      ];
      const afterPut = (await queries()) - before;

      await body('PATCH', '/products/2', { name: 'Blue teapot' });
      before = await queries();
      const patched = ((await body('GET', '/products/2')) as { name: string }).name;
      const afterPatch = (await queries()) - before;

      // The report, on the named manager of forRootAsync: its client connects lazily too.
      for (let attempt = 0; attempt < 100; attempt++) {
        before = await queries();
        await body('GET', '/reports/categories');
        if ((await queries()) === before) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      before = await queries();
      const reportHitsBefore = ((await body('GET', '/stats')) as Stats).reports.hits;
      const report = (await body('GET', '/reports/categories')) as Array<{ category: string }>;
      await body('GET', '/reports/categories');
      const reportRepeated = {
        queries: (await queries()) - before,
        hitsOnReportsManager:
          ((await body('GET', '/stats')) as Stats).reports.hits - reportHitsBefore,
        categories: report.map((row) => row.category),
      };

      await server.kill();
      before = await queries();
      await body('GET', '/products/1');
      await body('GET', '/products/1');
      const redisStopped = (await queries()) - before;

      await app.close();
      const pool = new Pool({ connectionString: databaseUrl, max: 1 });
      let tableLeft: unknown;
      try {
        const { rows } = await pool.query('SELECT to_regclass($1) AS t', [table]);
        tableLeft = (rows[0] as { t: unknown }).t;
      } finally {
        await pool.end();
      }
      return {
        first: first.name,
        repeatedGet,
        prices,
        afterPut,
        patched,
        afterPatch,
        reportRepeated,
        redisStopped,
        tableLeft,
      };
    } finally {
      // Closing twice is harmless; closing here too drops the table if a step failed.
      await app.close();
      await server.stop();
    }
  },
};
