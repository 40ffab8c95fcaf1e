import { Inject, Injectable } from '@nestjs/common';
import { CacheConfig, Cacheable } from '../../lib';
import { ProductsRepository, type CategorySummary } from './products.repository';

/** The manager for reports, registered by name in app.module.ts (`forRootAsync`). */
export const REPORTS = 'reports';

/**
 * Reports are costly queries that may lag the data a little: they use a manager of their own
 * (its own key prefix and a short TTL), chosen by name for the whole class.
 */
@Injectable()
@CacheConfig({ manager: REPORTS, namespace: 'reports', ttl: 30 })
export class ReportsService {
  constructor(@Inject(ProductsRepository) private readonly products: ProductsRepository) {}

  @Cacheable({ key: 'categories' })
  async categories(): Promise<CategorySummary[]> {
    return this.products.summary();
  }
}
