import { Controller, Get, Inject } from '@nestjs/common';
import type { CacheAsideManager, CacheStats } from '../../lib';
import { InjectCacheAside } from '../../lib/nestjs';
import { Database } from './database';
import { REPORTS } from './reports.service';

/** What the cache saves, in numbers: queries sent to PostgreSQL, and the manager's counters. */
@Controller('stats')
export class StatsController {
  constructor(
    @Inject(Database) private readonly db: Database,
    @InjectCacheAside() private readonly cache: CacheAsideManager,
    @InjectCacheAside(REPORTS) private readonly reports: CacheAsideManager,
  ) {}

  @Get()
  stats(): { databaseQueries: number; cache: CacheStats; reports: CacheStats } {
    return {
      databaseQueries: this.db.queries,
      cache: this.cache.stats(),
      reports: this.reports.stats(),
    };
  }
}
