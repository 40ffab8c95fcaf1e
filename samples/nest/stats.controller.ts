import { Controller, Get, Inject } from '@nestjs/common';
import type { CacheAsideManager, CacheStats } from '../../lib';
import { InjectCacheAside } from '../../lib/nestjs';
import { Database } from './database';

/** What the cache saves, in numbers: queries sent to PostgreSQL, and the manager's counters. */
@Controller('stats')
export class StatsController {
  constructor(
    @Inject(Database) private readonly db: Database,
    @InjectCacheAside() private readonly cache: CacheAsideManager,
  ) {}

  @Get()
  stats(): { databaseQueries: number; cache: CacheStats } {
    return { databaseQueries: this.db.queries, cache: this.cache.stats() };
  }
}
