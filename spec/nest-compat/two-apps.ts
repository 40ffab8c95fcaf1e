/**
 * Two Nest applications in one process, each with its own default manager, for the Nest 12 run
 * (compiled by the spec, run with node so that Nest 12's ESM packages load through require).
 * Prints one JSON line of what it saw; the spec asserts on it.
 */
import 'reflect-metadata';
import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Cacheable, type CacheAsideManager } from '../../lib';
import { CacheAsideModule, getCacheAsideToken } from '../../lib/nestjs';

@Injectable()
class WhoService {
  loads = 0;
  constructor(@Inject('APP_LABEL') private readonly label: string) {}

  @Cacheable({ key: 'who:{0}' })
  async who(id: number): Promise<string> {
    this.loads++;
    return `${this.label}:${id}`;
  }
}

function appModule(label: string): new () => unknown {
  @Module({
    imports: [
      CacheAsideModule.forRoot({
        redis: { url: process.env.REDIS_URL },
        keyPrefix: `${process.env.KEY_PREFIX ?? 'nest12:'}${label}:`,
      }),
    ],
    providers: [{ provide: 'APP_LABEL', useValue: label }, WhoService],
  })
  class AppModule {}
  return AppModule;
}

async function main(): Promise<void> {
  const a = await NestFactory.createApplicationContext(appModule('A'), { logger: false });
  const b = await NestFactory.createApplicationContext(appModule('B'), { logger: false });
  const seen: string[] = [];
  seen.push(await a.get(WhoService).who(1), await b.get(WhoService).who(1));
  await a.get<CacheAsideManager>(getCacheAsideToken()).settle();
  await b.get<CacheAsideManager>(getCacheAsideToken()).settle();
  await b.close();
  seen.push(await a.get(WhoService).who(1));
  const loadsA = a.get(WhoService).loads;
  await a.close();
  console.log(JSON.stringify({ seen, loadsA }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
