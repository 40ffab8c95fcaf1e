import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Pool, type QueryResultRow } from 'pg';

export const SAMPLE_SETTINGS = Symbol('SAMPLE_SETTINGS');

/** Where the sample finds PostgreSQL and Redis, and the table it creates for itself. */
export interface SampleSettings {
  databaseUrl: string;
  redisUrl: string;
  /** Created at startup, dropped at shutdown: each run has its own. */
  table: string;
}

/**
 * The PostgreSQL pool, and a count of the queries the application sent through it (the number
 * the cache is there to keep low). Creates and seeds the sample's table at module init and
 * drops it, then closes the pool, at shutdown.
 */
@Injectable()
export class Database implements OnModuleInit, OnApplicationShutdown {
  queries = 0;
  private readonly pool: Pool;
  private closed = false;

  // Explicit @Inject tokens: `npx tsx` (esbuild) does not emit the constructor types Nest reads.
  constructor(@Inject(SAMPLE_SETTINGS) readonly settings: SampleSettings) {
    this.pool = new Pool({ connectionString: settings.databaseUrl, max: 4 });
  }

  get table(): string {
    return this.settings.table;
  }

  async query<R extends QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    this.queries++;
    const { rows } = await this.pool.query<R>(sql, params);
    return rows;
  }

  async onModuleInit(): Promise<void> {
    await this.pool.query(`CREATE TABLE ${this.table} (
      id serial PRIMARY KEY,
      name text NOT NULL,
      category text NOT NULL,
      price_cents integer NOT NULL
    )`);
    await this.pool.query(
      `INSERT INTO ${this.table} (name, category, price_cents) VALUES
        ('Espresso cup', 'kitchen', 900), ('Teapot', 'kitchen', 3400), ('Desk lamp', 'office', 5900)`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.pool.query(`DROP TABLE IF EXISTS ${this.table}`);
    } finally {
      await this.pool.end();
    }
  }
}
