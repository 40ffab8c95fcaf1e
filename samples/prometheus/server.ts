/**
 * cache-aside metrics for Prometheus (and the Grafana dashboard in dashboards/grafana.json).
 *
 *   npx tsx samples/prometheus/server.ts                    # serves until Ctrl-C
 *   npx tsx samples/prometheus/server.ts --once             # a few seconds of traffic, prints what a scrape shows, exits
 *   METRICS_PORT=9464 REDIS_URL=redis://127.0.0.1:6379 npx tsx samples/prometheus/server.ts
 *
 * Then point Prometheus at http://127.0.0.1:9464/metrics (samples/prometheus/prometheus.yml)
 * and import dashboards/grafana.json into Grafana.
 */
import 'reflect-metadata';
import { Cacheable, CacheAsideManager, CacheEvict, CacheInterceptor } from '../../lib';
import { connectForSample } from '../redis-connection';
import { startMetricsEndpoint } from './metrics-endpoint';

interface Product {
  id: number;
  name: string;
}

/** A catalogue whose database answers in 20 to 60 ms and fails one read in fifty. */
class ProductRepository {
  @Cacheable({ key: 'product:{0}', ttl: 30 })
  async findById(id: number): Promise<Product> {
    await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 40));
    if (Math.random() < 0.02) throw new Error('database timeout');
    return { id, name: `product ${id}` };
  }

  @CacheEvict({ key: 'product:{0}' })
  async rename(id: number, name: string): Promise<void> {
    console.log(`renamed product ${id} to ${name}`); // the database write would go here
  }
}

async function main(): Promise<void> {
  const once = process.argv.includes('--once');
  const port = Number(process.env.METRICS_PORT ?? 9464);
  const metrics = await startMetricsEndpoint(port);
  const { redis, description, close } = connectForSample();
  const cache = new CacheAsideManager({
    redis,
    keyPrefix: `shop:${process.pid}:`,
    l1: { maxEntries: 1_000 },
  });
  cache.on('error', (error) => console.warn(`cache error (served anyway): ${error.code}`));
  CacheInterceptor.use(cache);
  console.log(`Using ${description}. Metrics at ${metrics.url}`);

  const products = new ProductRepository();
  let running = true;
  const traffic = async (): Promise<void> => {
    while (running) {
      const id = 1 + Math.floor(Math.random() ** 2 * 200); // a few hot products, a long tail
      await products.findById(id).catch(() => undefined);
      if (Math.random() < 0.002) await products.rename(id, `renamed ${id}`);
    }
  };
  const workers = Array.from({ length: 8 }, traffic);

  const stop = async (): Promise<void> => {
    running = false;
    await Promise.all(workers);
    await cache.close();
    close();
    await metrics.close();
  };
  if (once) {
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const scrape = await (await fetch(metrics.url)).text();
    const lines = scrape
      .split('\n')
      .filter((line) => line.startsWith('cache_aside_') && !line.includes('_bucket'));
    console.log(
      lines.length > 0
        ? lines.join('\n')
        : 'No cache_aside_* samples: this build of the manager does not publish on its channels.',
    );
    await stop();
    return;
  }
  process.once('SIGINT', () => {
    void stop().then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
