/**
 * A user repository with its caching declared by decorators: `findById` is cached (with its own
 * TTL), `findByIds` reads a batch through the same entries and loads only the missing ids,
 * `update` evicts, `save` writes through, and the statistics say which method the cache actually
 * helps. The "database" is an in-memory Map that takes 50 ms per query.
 *
 *   npx tsx samples/02-repository.ts                                  # embedded memory store
 *   REDIS_URL=redis://127.0.0.1:6379 npx tsx samples/02-repository.ts # your Redis
 *
 * Works as it is under tsx/esbuild (legacy decorators, no emitDecoratorMetadata) and under
 * standard decorators: the decorators need no design-type metadata.
 */
import {
  Cacheable,
  CacheableMany,
  CacheAsideManager,
  CacheConfig,
  CacheEvict,
  CacheInterceptor,
  CachePut,
  CacheTtl,
} from '../lib';
import { connectForSample } from './redis-connection';

interface User {
  id: number;
  name: string;
  email: string;
  updatedAt: Date;
}

/** The database: a Map behind 50 ms of latency, counting its queries. */
class FakeDatabase {
  queries = 0;
  private readonly rows = new Map<number, User>([
    [
      1,
      {
        id: 1,
        name: 'Alice',
        email: 'alice@example.com',
        updatedAt: new Date('2024-01-01T00:00:00Z'),
      },
    ],
    [
      2,
      { id: 2, name: 'Bob', email: 'bob@example.com', updatedAt: new Date('2024-01-01T00:00:00Z') },
    ],
  ]);

  async query<T>(work: (rows: Map<number, User>) => T): Promise<T> {
    this.queries++;
    await new Promise((resolve) => setTimeout(resolve, 50));
    return work(this.rows);
  }
}

@CacheConfig({ namespace: 'users', ttl: 300 })
class UserRepository {
  constructor(private readonly db: FakeDatabase) {}

  /** Cached for 120 s (beats the class's 300 s); a missing user is not cached. */
  @Cacheable({ key: 'user:{0}', unless: (user: User | null) => user === null })
  @CacheTtl(120)
  async findById(id: number): Promise<User | null> {
    return this.db.query((rows) => rows.get(id) ?? null);
  }

  /**
   * The batch form: one Redis round trip for every id, one query for the ids not cached, each user
   * stored under the same key as findById's (so the two share entries), input order kept.
   */
  @CacheableMany({ key: 'user:{0}', ttl: 120, unless: (user: User | null) => user === null })
  async findByIds(ids: number[]): Promise<Array<User | null>> {
    return this.db.query((rows) => ids.map((id) => rows.get(id) ?? null));
  }

  /** Cached under a default key built from the arguments: { nameStartsWith, limit } in any key order. */
  @Cacheable()
  async search(filter: { nameStartsWith: string; limit: number }): Promise<User[]> {
    return this.db.query((rows) =>
      [...rows.values()]
        .filter((u) => u.name.startsWith(filter.nameStartsWith))
        .slice(0, filter.limit),
    );
  }

  /** Always runs; the saved user replaces the cached one. */
  @CachePut({ key: (user: User) => `user:${user.id}` })
  async save(user: User): Promise<User> {
    return this.db.query((rows) => {
      const saved = { ...user, updatedAt: new Date() };
      rows.set(user.id, saved);
      return saved;
    });
  }

  /** Evicts after the write succeeds; the next read loads the new row. */
  @CacheEvict({ key: 'user:{0}' })
  async update(id: number, patch: Partial<Omit<User, 'id'>>): Promise<void> {
    await this.db.query((rows) => {
      const row = rows.get(id);
      if (row) rows.set(id, { ...row, ...patch, updatedAt: new Date() });
    });
  }
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  console.log(`${label.padEnd(44)} ${(performance.now() - started).toFixed(1).padStart(6)} ms`);
  return result;
}

async function main(): Promise<void> {
  const { redis, description, close } = connectForSample();
  console.log(`Redis: ${description}`);
  // A prefix of this sample's own, so that it never touches anything else on a shared server.
  const cache = new CacheAsideManager({
    redis,
    keyPrefix: `sample02:${process.pid}:`,
    defaultTtl: 60,
  });
  CacheInterceptor.use(cache);

  const db = new FakeDatabase();
  const users = new UserRepository(db);
  try {
    await timed('findById(1)  miss: loads from the database', () => users.findById(1));
    await cache.settle();
    const hit = await timed('findById(1)  hit: served from Redis', () => users.findById(1));
    console.log(`  -> ${hit?.name}, updatedAt is a Date: ${hit?.updatedAt instanceof Date}`);
    console.log(
      `  TTL of users:user:1: ${await cache.getTtl('users:user:1')} s (@CacheTtl(120) beats the class's 300)`,
    );

    await timed('findById(42) missing user: not cached', () => users.findById(42));
    await cache.settle();
    await timed('findById(42) so this loads again', () => users.findById(42));

    await timed('update(1, { name: "Alicia" }) evicts user:1', () =>
      users.update(1, { name: 'Alicia' }),
    );
    const fresh = await timed('findById(1)  miss again: the new row', () => users.findById(1));
    console.log(`  -> ${fresh?.name}`);

    await timed('save(Bob with a new email) writes through', () =>
      users.save({ id: 2, name: 'Bob', email: 'bob@new.example.com', updatedAt: new Date() }),
    );
    await cache.settle();
    const bob = await timed('findById(2)  hit: the saved user', () => users.findById(2));
    console.log(`  -> ${bob?.email}`);

    const batch = await timed('findByIds([2, 1, 42]) queries only id 42', () =>
      users.findByIds([2, 1, 42]),
    );
    console.log(`  -> ${batch.map((u) => u?.name ?? 'null').join(', ')} (in the order asked)`);
    await cache.settle();
    await timed('findByIds([1, 2])  all hits: no query', () => users.findByIds([1, 2]));

    await timed('search({ nameStartsWith: "A", limit: 5 })', () =>
      users.search({ nameStartsWith: 'A', limit: 5 }),
    );
    await cache.settle();
    await timed('search({ limit: 5, nameStartsWith: "A" }) hit', () =>
      users.search({ limit: 5, nameStartsWith: 'A' }),
    );

    console.log(`\nDatabase queries: ${db.queries}`);
    console.log('Per-method statistics:');
    for (const [method, s] of Object.entries(cache.stats().methods)) {
      console.log(
        `  ${method.padEnd(28)} hits ${s.hits}  misses ${s.misses}  hit ratio ${(s.hitRatio * 100).toFixed(0)}%  ` +
          `loader time ${s.loadTimeMs} ms`,
      );
    }
  } finally {
    await cache.invalidatePattern('*'); // this sample's own keys only: the pattern is under its prefix
    await cache.close();
    close();
    CacheInterceptor.reset();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
