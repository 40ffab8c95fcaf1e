import { Module, type DynamicModule } from '@nestjs/common';
import { CacheAsideModule } from '../../lib/nestjs';
import { Database, SAMPLE_SETTINGS, type SampleSettings } from './database';
import { ProductsController } from './products.controller';
import { ProductsRepository } from './products.repository';
import { ProductsService } from './products.service';
import { StatsController } from './stats.controller';

@Module({})
export class AppModule {
  static register(settings: SampleSettings): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // The module creates the Redis client from the URL and closes it on app.close().
        CacheAsideModule.forRoot({
          redis: { url: settings.redisUrl },
          keyPrefix: `nest-sample:${settings.table}:`,
          defaultTtl: 60,
        }),
      ],
      controllers: [ProductsController, StatsController],
      providers: [
        { provide: SAMPLE_SETTINGS, useValue: settings },
        Database,
        ProductsRepository,
        ProductsService,
      ],
    };
  }
}
