import { Inject, Injectable } from '@nestjs/common';
import { Database } from './database';

export interface Product {
  id: number;
  name: string;
  category: string;
  priceCents: number;
}

export interface CategorySummary {
  category: string;
  products: number;
  averageCents: number;
}

const COLUMNS = 'id, name, category, price_cents AS "priceCents"';

/** Plain SQL through `pg`: no caching here, so every call is a query the spec can count. */
@Injectable()
export class ProductsRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async findById(id: number): Promise<Product | null> {
    const rows = await this.db.query<Product>(
      `SELECT ${COLUMNS} FROM ${this.db.table} WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  async findByCategory(category: string): Promise<Product[]> {
    return this.db.query<Product>(
      `SELECT ${COLUMNS} FROM ${this.db.table} WHERE category = $1 ORDER BY id`,
      [category],
    );
  }

  /** A report: products and the average price per category (a GROUP BY over the table). */
  async summary(): Promise<CategorySummary[]> {
    return this.db.query<CategorySummary>(
      `SELECT category, count(*)::int AS products, round(avg(price_cents))::int AS "averageCents"
         FROM ${this.db.table} GROUP BY category ORDER BY category`,
    );
  }

  async insert(name: string, category: string, priceCents: number): Promise<Product> {
    const rows = await this.db.query<Product>(
      `INSERT INTO ${this.db.table} (name, category, price_cents) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
      [name, category, priceCents],
    );
    return rows[0];
  }

  async reprice(id: number, priceCents: number): Promise<Product | null> {
    const rows = await this.db.query<Product>(
      `UPDATE ${this.db.table} SET price_cents = $2 WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, priceCents],
    );
    return rows[0] ?? null;
  }

  async rename(id: number, name: string): Promise<Product | null> {
    const rows = await this.db.query<Product>(
      `UPDATE ${this.db.table} SET name = $2 WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, name],
    );
    return rows[0] ?? null;
  }
}
