/**
 * The tutorial's story in TypeScript: a slow data source, a miss then a hit, an update followed
 * by invalidation, TTL inspection, pattern invalidation, and the hit-ratio statistics.
 *
 *   npm run demo                                  # embedded Redis
 *   REDIS_URL=redis://127.0.0.1:6379 npm run demo # your Redis
 */
import { CacheAsideManager } from '../lib';
import { connectForSample } from './redis-connection';

interface User {
  id: number;
  name: string;
  email: string;
}

/** A data source that takes 100 ms per read, like a database across the network. */
class SlowUserStore {
  private readonly users = new Map<number, User>([
    [1, { id: 1, name: 'Alice', email: 'alice@example.com' }],
    [2, { id: 2, name: 'Bob', email: 'bob@example.com' }],
    [3, { id: 3, name: 'Carol', email: 'carol@example.com' }],
  ]);
  reads = 0;

  async find(id: number): Promise<User | null> {
    this.reads++;
    await new Promise((resolve) => setTimeout(resolve, 100));
    return this.users.get(id) ?? null;
  }

  update(id: number, patch: Partial<User>): void {
    const user = this.users.get(id);
    if (user) this.users.set(id, { ...user, ...patch });
  }
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  console.log(
    `${label.padEnd(34)} ${(performance.now() - started).toFixed(1).padStart(7)} ms  ${JSON.stringify(result)}`,
  );
  return result;
}

async function main(): Promise<void> {
  const { redis, description, close } = connectForSample();
  console.log(`Using ${description}.\n`);
  const store = new SlowUserStore();
  const cache = new CacheAsideManager({ redis, keyPrefix: `demo:${process.pid}:`, defaultTtl: 60 });
  cache.on('error', (error) =>
    console.warn(`cache error (served anyway): ${error.code} ${error.message}`),
  );
  const findUser = (id: number) => cache.get(`user:${id}`, () => store.find(id));
  try {
    await story(cache, store, findUser);
  } finally {
    await cache.invalidatePattern('*');
    await cache.close();
    close();
  }
}

async function story(
  cache: CacheAsideManager,
  store: SlowUserStore,
  findUser: (id: number) => Promise<unknown>,
): Promise<void> {
  console.log('1. Cache-aside read');
  await timed('first read of user 1 (miss)', () => findUser(1));
  await cache.settle(); // the write to Redis is sent in the background; wait for it here
  await timed('second read of user 1 (hit)', () => findUser(1));

  console.log('\n2. Update, then invalidate');
  store.update(1, { name: 'Alice Updated' });
  console.log(`invalidated entries: ${await cache.invalidate('user:1')}`);
  await timed('read after invalidation (miss)', () => findUser(1));
  await cache.settle();

  console.log('\n3. TTL');
  await cache.get('user:2', () => store.find(2), { ttl: 120 });
  await cache.settle();
  console.log(
    `seconds left for user:2: ${await cache.getTtl('user:2')} (asked for 120, shortened a little by jitter)`,
  );
  console.log(`seconds left for a missing key: ${await cache.getTtl('user:404')}`);

  console.log('\n4. Pattern invalidation');
  await Promise.all([1, 2, 3].map(findUser));
  await cache.settle();
  console.log(`removed by 'user:*': ${await cache.invalidatePattern('user:*')}`);

  console.log('\n5. Many keys at once');
  await timed('getMany of 3 users (cold)', () =>
    cache.getMany(['user:1', 'user:2', 'user:3'], async (keys) =>
      Promise.all(keys.map((key) => store.find(Number(key.split(':')[1])))),
    ),
  );
  await cache.settle();
  const readsBefore = store.reads;
  await timed('getMany of 3 users (cached)', () =>
    cache.getMany(['user:1', 'user:2', 'user:3'], async (keys) =>
      Promise.all(keys.map((key) => store.find(Number(key.split(':')[1])))),
    ),
  );
  console.log(`data source reads for the cached getMany: ${store.reads - readsBefore}`);

  const { hits, misses, hitRatio } = cache.stats();
  console.log(
    `\nstats: ${hits} hits, ${misses} misses, hit ratio ${(hitRatio * 100).toFixed(0)}%; data source reads: ${store.reads}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
