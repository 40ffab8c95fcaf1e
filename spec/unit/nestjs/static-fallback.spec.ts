import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Cacheable, CacheInterceptor, type CacheAsideManager } from '../../../lib';
import { CacheAsideModule, getCacheAsideToken } from '../../../lib/nestjs';
import { createInMemoryManager } from '../../../lib/testing';

@Injectable()
class LabelService {
  @Cacheable({ key: 'label:{0}' })
  async label(id: number): Promise<string> {
    return `label ${id}`;
  }
}

@Injectable()
class ReportsService {
  @Cacheable({ key: 'report:{0}', manager: 'reports' })
  async report(id: number): Promise<number> {
    return id;
  }
}

/** An application whose default manager is `manager` (no Redis). */
async function startApp(
  manager: CacheAsideManager,
  providers: Array<new (...args: never[]) => unknown> = [LabelService],
): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [CacheAsideModule.forRoot({ redis: { url: 'redis://never-used:6379' } })],
    providers,
  })
    .overrideProvider(getCacheAsideToken())
    .useValue(manager)
    .compile();
  await moduleRef.init();
  return moduleRef;
}

describe('the process-wide registry as Nest applications start and close', () => {
  const managers: CacheAsideManager[] = [];
  const memory = (): CacheAsideManager => {
    const manager = createInMemoryManager({ keyPrefix: `fallback${managers.length}:` });
    managers.push(manager);
    return manager;
  };

  afterEach(async () => {
    CacheInterceptor.reset();
    await Promise.all(managers.splice(0).map((m) => m.close()));
  });

  it('holds no closed manager once every application closed: outside calls say none is registered', async () => {
    const [managerA, managerB] = [memory(), memory()];
    const a = await startApp(managerA);
    const b = await startApp(managerB);
    const outside = new LabelService();
    await outside.label(1);
    expect(managerB.stats().misses).toBe(1);
    await b.close();
    await outside.label(2);
    expect(managerA.stats().misses).toBe(1);
    await a.close();
    await expect(outside.label(3)).rejects.toThrow(/no cache manager is registered/);
    expect(managerA.stats().misses + managerB.stats().misses).toBe(2);
  });

  it('leaves a manager the code registered itself (CacheInterceptor.use) after the application started', async () => {
    const a = await startApp(memory());
    const b = await startApp(memory());
    const own = memory();
    CacheInterceptor.use(own);
    await b.close();
    await new LabelService().label(1);
    await a.close();
    await new LabelService().label(2);
    expect(own.stats().misses).toBe(2);
  });

  it('is left as it was by an application whose bootstrap fails', async () => {
    await expect(startApp(memory(), [LabelService, ReportsService])).rejects.toThrow(
      /"reports", used by ReportsService\.report/,
    );
    await expect(new LabelService().label(1)).rejects.toThrow(/no cache manager is registered/);
  });
});
