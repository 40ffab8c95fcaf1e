import express, { type NextFunction, type Request, type Response } from 'express';
import type { Server } from 'node:http';
import Redis from 'ioredis';
import { Pool } from 'pg';
import {
  CacheAsideManager,
  CacheConfig,
  CacheEvict,
  CacheInterceptor,
  Cacheable,
  type CacheStats,
} from '../../lib';

export interface ExpressSampleSettings {
  databaseUrl: string;
  redisUrl: string;
  /** Created at start, dropped at close: each run has its own. */
  table: string;
  /** The product query is made this slow (pg_sleep), as a real query over a big table would be. */
  queryMs?: number;
}

interface Product {
  id: number;
  name: string;
  priceCents: number;
}

/** A repository over PostgreSQL with the cache in front of its reads. */
@CacheConfig({ namespace: 'products', ttl: 120 })
class ProductRepository {
  queries = 0;

  constructor(
    private readonly db: Pool,
    private readonly table: string,
    private readonly queryMs: number,
  ) {}

  @Cacheable({ key: 'product:{0}' })
  async findById(id: number): Promise<Product | null> {
    this.queries++;
    const { rows } = await this.db.query<Product>(
      `SELECT id, name, price_cents AS "priceCents" FROM ${this.table}, pg_sleep($2) WHERE id = $1`,
      [id, this.queryMs / 1000],
    );
    return rows[0] ?? null;
  }

  @CacheEvict({ key: 'product:{0}' })
  async reprice(id: number, priceCents: number): Promise<Product | null> {
    this.queries++;
    const { rows } = await this.db.query<Product>(
      `UPDATE ${this.table} SET price_cents = $2 WHERE id = $1 RETURNING id, name, price_cents AS "priceCents"`,
      [id, priceCents],
    );
    return rows[0] ?? null;
  }
}

/** A running sample: its URL, the numbers it keeps, and how to stop it. */
export interface RunningExpressSample {
  url: string;
  stats(): { databaseQueries: number; cache: CacheStats };
  close(): Promise<void>;
}

/**
 * Starts an Express 5 API on a free loopback port: GET /products/:id (cached), PUT
 * /products/:id/price (evicts), GET /stats. Each response carries `Server-Timing: app;dur=…`,
 * the time the handler took, so a client can see a hit against a miss.
 */
export async function startExpressSample(
  settings: ExpressSampleSettings,
): Promise<RunningExpressSample> {
  const db = new Pool({ connectionString: settings.databaseUrl, max: 4 });
  await db.query(
    `CREATE TABLE ${settings.table} (id serial PRIMARY KEY, name text NOT NULL, price_cents integer NOT NULL)`,
  );
  await db.query(
    `INSERT INTO ${settings.table} (name, price_cents) VALUES ('Espresso cup', 900), ('Teapot', 3400)`,
  );

  // The application owns its client: capped reconnection, one retry, and an error listener,
  // so that a Redis outage is a log line, not an unhandled 'error' event.
  const redis = new Redis(settings.redisUrl, {
    retryStrategy: (attempt) => Math.min(attempt * 50, 500),
    maxRetriesPerRequest: 1,
  });
  let redisDown = false;
  redis.on('error', (error: Error) => {
    if (!redisDown) console.warn(`Redis unreachable (${error.message}); serving from PostgreSQL`);
    redisDown = true;
  });
  redis.on('ready', () => (redisDown = false));
  const cache = new CacheAsideManager({
    redis,
    keyPrefix: `express-sample:${settings.table}:`,
  });
  CacheInterceptor.use(cache);
  const products = new ProductRepository(db, settings.table, settings.queryMs ?? 50);

  const app = express();
  app.use(express.json());
  app.use((_req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => Response;
    res.writeHead = ((...args: unknown[]) => {
      res.setHeader('Server-Timing', `app;dur=${(performance.now() - started).toFixed(2)}`);
      return writeHead(...args);
    }) as Response['writeHead'];
    next();
  });
  app.get('/products/:id', async (req: Request, res: Response) => {
    const product = await products.findById(Number(req.params.id));
    if (product === null) res.status(404).json({ error: 'not found' });
    else res.json(product);
  });
  app.put('/products/:id/price', async (req: Request, res: Response) => {
    const body = req.body as { priceCents: number };
    const product = await products.reprice(Number(req.params.id), body.priceCents);
    if (product === null) res.status(404).json({ error: 'not found' });
    else res.json(product);
  });
  const stats = (): { databaseQueries: number; cache: CacheStats } => ({
    databaseQueries: products.queries,
    cache: cache.stats(),
  });
  app.get('/stats', (_req: Request, res: Response) => {
    res.json(stats());
  });

  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await cache.close();
      redis.disconnect(); // the app's own client: the manager never closes it
      try {
        await db.query(`DROP TABLE IF EXISTS ${settings.table}`);
      } finally {
        await db.end();
      }
    },
  };
}
