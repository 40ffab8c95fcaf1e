/**
 * The cache in front of a real database: a product catalogue in PostgreSQL, read through
 * `@Cacheable` methods, updated with `@CacheEvict` (a row, and a tag for every listing of its
 * category), with the query time of a miss against the time of a hit.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx samples/04-postgres-repository.ts
 *
 * Without DATABASE_URL it tries postgres://postgres@127.0.0.1:5432/postgres. It creates its own
 * table (named after its process id) and drops it at the end. Redis: REDIS_URL, or embedded.
 */
import { Pool } from 'pg';
import { Cacheable, CacheAsideManager, CacheConfig, CacheEvict, CacheInterceptor } from '../lib';
import { connectForSample } from './redis-connection';

interface Product {
  id: number;
  name: string;
  category: string;
  priceCents: number;
  updatedAt: Date;
}

const table = `cache_aside_sample_products_${process.pid}`;

@CacheConfig({ namespace: 'catalogue', ttl: 300 })
class ProductRepository {
  queries = 0;

  constructor(private readonly db: Pool) {}

  @Cacheable({ key: 'product:{0}' })
  async findById(id: number): Promise<Product | null> {
    this.queries++;
    const { rows } = await this.db.query(
      `SELECT id, name, category, price_cents AS "priceCents", updated_at AS "updatedAt" FROM ${table} WHERE id = $1`,
      [id],
    );
    return (rows[0] as Product | undefined) ?? null;
  }

  @Cacheable({ key: 'category:{0}', tags: (category: string) => [`category:${category}`], ttl: 60 })
  async listByCategory(category: string): Promise<Product[]> {
    this.queries++;
    const { rows } = await this.db.query(
      `SELECT id, name, category, price_cents AS "priceCents", updated_at AS "updatedAt" FROM ${table} WHERE category = $1 ORDER BY id`,
      [category],
    );
    return rows as Product[];
  }

  /** After the row is updated: its own entry and every listing of its category go. */
  @CacheEvict({
    key: 'product:{0}',
    tags: (_id: number, category: string) => [`category:${category}`],
  })
  async reprice(id: number, _category: string, priceCents: number): Promise<void> {
    this.queries++;
    await this.db.query(`UPDATE ${table} SET price_cents = $2, updated_at = now() WHERE id = $1`, [
      id,
      priceCents,
    ]);
  }
}

async function timed<T>(
  label: string,
  work: () => Promise<T>,
  show: (value: T) => string,
): Promise<T> {
  const started = performance.now();
  const value = await work();
  console.log(
    `${label.padEnd(40)} ${(performance.now() - started).toFixed(1).padStart(7)} ms  ${show(value)}`,
  );
  return value;
}

async function main(): Promise<void> {
  const db = new Pool({
    connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    max: 4,
  });
  try {
    await db.query('SELECT 1');
  } catch (error) {
    console.error(`This sample needs PostgreSQL (set DATABASE_URL): ${(error as Error).message}`);
    process.exitCode = 1;
    await db.end();
    return;
  }
  const { redis, description, close } = connectForSample();
  console.log(`Using PostgreSQL and ${description}.\n`);
  const cache = new CacheAsideManager({ redis, keyPrefix: `sample04:${process.pid}:` });
  CacheInterceptor.use(cache);
  const products = new ProductRepository(db);
  const price = (p: Product | null): string =>
    p
      ? `${p.name} at ${(p.priceCents / 100).toFixed(2)}, updated ${p.updatedAt.toISOString()}`
      : 'none';

  await db.query(
    `CREATE TABLE ${table} (id int PRIMARY KEY, name text, category text, price_cents int, updated_at timestamptz DEFAULT now())`,
  );
  try {
    await db.query(
      `INSERT INTO ${table} (id, name, category, price_cents) VALUES
         (1, 'Kettle', 'kitchen', 3999), (2, 'Toaster', 'kitchen', 2999), (3, 'Lamp', 'living', 4999)`,
    );

    await timed('findById(1), a miss: one query', () => products.findById(1), price);
    await cache.settle();
    await timed('findById(1), a hit: no query', () => products.findById(1), price);
    await timed(
      'listByCategory(kitchen), a miss',
      () => products.listByCategory('kitchen'),
      (l) => `${l.length} products`,
    );
    await cache.settle();
    await timed(
      'listByCategory(kitchen), a hit',
      () => products.listByCategory('kitchen'),
      (l) => `${l.length} products`,
    );

    console.log('\nreprice(1): the row, its entry, and the kitchen listings (by tag)');
    await products.reprice(1, 'kitchen', 3499);
    await timed('findById(1) after the update', () => products.findById(1), price);
    await timed(
      'listByCategory(kitchen) after the update',
      () => products.listByCategory('kitchen'),
      (l) => l.map((p) => p.priceCents).join(', '),
    );

    const { hits, misses, methods } = cache.stats();
    console.log(`\n${products.queries} queries for ${hits + misses} reads (${hits} hits).`);
    for (const [method, s] of Object.entries(methods))
      console.log(`  ${method.padEnd(32)} hit ratio ${(s.hitRatio * 100).toFixed(0)}%`);
  } finally {
    await db.query(`DROP TABLE IF EXISTS ${table}`);
    await cache.invalidatePattern('*');
    await cache.close();
    CacheInterceptor.reset();
    close();
    await db.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
