import { Module, type DynamicModule } from '@nestjs/common';
import { CacheAsideModule } from '../../lib/nestjs';
import { Database, SAMPLE_SETTINGS, type SampleSettings } from './database';
import { ProductsController } from './products.controller';
import { ProductsRepository } from './products.repository';
import { ProductsService } from './products.service';
import { ReportsController } from './reports.controller';
import { REPORTS, ReportsService } from './reports.service';
import { StatsController } from './stats.controller';

/** The sample's settings as a provider, for the modules whose factories read them. */
@Module({})
class SettingsModule {
  static register(settings: SampleSettings): DynamicModule {
    return {
      module: SettingsModule,
      providers: [{ provide: SAMPLE_SETTINGS, useValue: settings }],
      exports: [SAMPLE_SETTINGS],
    };
  }
}

@Module({})
export class AppModule {
  static register(settings: SampleSettings): DynamicModule {
    return {
      module: AppModule,
      imports: [
        SettingsModule.register(settings),
        // The module creates the Redis client from the URL and closes it on app.close().
        CacheAsideModule.forRoot({
          redis: { url: settings.redisUrl },
          keyPrefix: `nest-sample:${settings.table}:`,
          defaultTtl: 60,
        }),
        // A named manager whose options come from configuration (here the settings provider;
        // in an application, ConfigService): `@CacheConfig({ manager: REPORTS })` uses it.
        CacheAsideModule.forRootAsync({
          name: REPORTS,
          imports: [SettingsModule.register(settings)],
          inject: [SAMPLE_SETTINGS],
          useFactory: (config: SampleSettings) => ({
            redis: { url: config.redisUrl },
            keyPrefix: `nest-sample:${config.table}:reports:`,
            defaultTtl: 30,
          }),
        }),
      ],
      controllers: [ProductsController, ReportsController, StatsController],
      providers: [Database, ProductsRepository, ProductsService, ReportsService],
    };
  }
}
