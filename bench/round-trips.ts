/**
 * What each guarantee costs in Redis commands: runs each operation many times against the
 * bench's own redis-server and reads `INFO commandstats` before and after, so the counts are
 * what Redis actually executed (scripts count as one EVALSHA plus the commands they run).
 *
 *   npx tsx bench/round-trips.ts     prints a Markdown table
 */
import './support/built-library'; // first: the library below loads from dist/ (see built-library.ts)
import Redis from 'ioredis';
import { CacheAsideManager, type LeaseOnRead } from '../lib';
import { startRedisServer } from '../spec/support/redis-server';

const REPEAT = 200;

type Stats = Map<string, number>;

async function commandStats(redis: Redis): Promise<Stats> {
  const info = await redis.info('commandstats');
  const stats: Stats = new Map();
  for (const line of info.split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (match) stats.set(match[1].toUpperCase(), Number(match[2]));
  }
  return stats;
}

/** Commands per operation, e.g. "1 GET" or "1 GET, 1 SET, 1 EVALSHA (GET, SET)". */
function describe(before: Stats, after: Stats, observer: number): string {
  const parts: string[] = [];
  for (const [name, calls] of after) {
    let delta = calls - (before.get(name) ?? 0);
    if (name === 'INFO') delta -= observer;
    if (delta <= 0) continue;
    const perOp = delta / REPEAT;
    parts.push(`${Number.isInteger(perOp) ? perOp : perOp.toFixed(2)} ${name}`);
  }
  return parts.length === 0 ? 'none' : parts.sort().join(', ');
}

interface Row {
  operation: string;
  guarantee: string;
  /** Sequential round trips the caller waits for (by design; parallel commands count once). */
  waits: string;
  prepare?: (cache: CacheAsideManager, i: number) => Promise<unknown>;
  run: (cache: CacheAsideManager, i: number) => Promise<unknown>;
  /** The manager's `leaseOnRead`: 'never' (GET reads, as 'auto' while hits dominate) by default. */
  leaseOnRead?: Exclude<LeaseOnRead, 'auto'>;
}

const loader = async (key: string): Promise<{ key: string }> => ({ key });

const ROWS: Row[] = [
  {
    operation: 'get, hit',
    guarantee: 'one GET, one decode',
    waits: '1',
    prepare: (c, i) => c.set(`h:${i}`, { i }),
    run: (c, i) => c.get(`h:${i}`, loader),
  },
  {
    operation: 'get, hit of a tagged entry (1 tag)',
    guarantee: 'tags without scanning: the entry, then its tag versions (read together)',
    waits: '2',
    prepare: (c, i) => c.set(`t:${i}`, { i }, { tags: ['users'] }),
    run: (c, i) => c.get(`t:${i}`, loader, { tags: ['users'] }),
  },
  {
    operation: 'get, miss',
    guarantee: 'one load across processes; no stale set after an invalidation',
    waits: '2 + loader (the store is sent in the background)',
    run: (c, i) => c.get(`m:${i}`, loader),
  },
  {
    operation:
      "get, miss, leasing read (`leaseOnRead` 'always', or 'auto' while misses are common)",
    guarantee: 'the same; the read takes the lease (SET NX PX GET)',
    waits: '1 + loader (the store is sent in the background)',
    leaseOnRead: 'always',
    run: (c, i) => c.get(`ml:${i}`, loader),
  },
  {
    operation: 'get, hit, leasing read',
    guarantee: 'the same as a GET: the SET writes nothing where the key exists',
    waits: '1',
    leaseOnRead: 'always',
    prepare: (c, i) => c.set(`hl:${i}`, { i }),
    run: (c, i) => c.get(`hl:${i}`, loader),
  },
  {
    operation: 'get, miss with 1 tag',
    guarantee: 'tag version taken before the load',
    waits: '3 + loader',
    run: (c, i) => c.get(`mt:${i}`, loader, { tags: ['users'] }),
  },
  {
    operation: 'getMany of 10, all hits',
    guarantee: 'one round trip for the lookups',
    waits: '1',
    prepare: (c, i) => Promise.all(Array.from({ length: 10 }, (_, j) => c.set(`b:${i}:${j}`, j))),
    run: (c, i) =>
      c.getMany(
        Array.from({ length: 10 }, (_, j) => `b:${i}:${j}`),
        async (keys) => keys,
      ),
  },
  {
    operation: 'getMany of 10, all misses',
    guarantee: 'one loader call; each value stored under its own lease',
    waits: '2 + loader',
    run: (c, i) =>
      c.getMany(
        Array.from({ length: 10 }, (_, j) => `bm:${i}:${j}`),
        async (keys) => keys,
      ),
  },
  {
    operation: 'set',
    guarantee: 'one write, SET PX (wins over loads in flight)',
    waits: '1',
    run: (c, i) => c.set(`s:${i}`, { i }),
  },
  {
    operation: 'set with 1 tag',
    guarantee: 'tag version read before the write',
    waits: '2',
    run: (c, i) => c.set(`st:${i}`, { i }, { tags: ['users'] }),
  },
  {
    operation: 'invalidate (1 key)',
    guarantee: 'one UNLINK (also removes a lease in flight)',
    waits: '1',
    run: (c, i) => c.invalidate(`h:${i}`),
  },
  {
    operation: 'invalidateTags (1 tag)',
    guarantee: 'one SET of a new tag version, no scan',
    waits: '1',
    run: (c) => c.invalidateTags(['users']),
  },
  {
    operation: 'setTtl',
    guarantee: 'Redis expiry and logical expiry changed together',
    waits: '3',
    prepare: (c, i) => c.set(`x:${i}`, i),
    run: (c, i) => c.setTtl(`x:${i}`, 30),
  },
];

export async function runRoundTrips(): Promise<string> {
  const server = await startRedisServer();
  const redis = new Redis(server.url);
  const observer = new Redis(server.url);
  const managers = {
    never: new CacheAsideManager({ redis, keyPrefix: 'rt:', leaseOnRead: 'never' }),
    always: new CacheAsideManager({ redis, keyPrefix: 'rt:', leaseOnRead: 'always' }),
  };
  const lines = [
    '| operation | what it guarantees | round trips the caller waits for | Redis commands per operation (measured) |',
    '|---|---|---|---|',
  ];
  try {
    for (const row of ROWS) {
      const cache = managers[row.leaseOnRead ?? 'never'];
      if (row.prepare) {
        for (let i = 0; i < REPEAT; i++) await row.prepare(cache, i);
        await cache.settle();
      }
      const before = await commandStats(observer);
      for (let i = 0; i < REPEAT; i++) await row.run(cache, i);
      await cache.settle();
      const after = await commandStats(observer);
      lines.push(
        `| ${row.operation} | ${row.guarantee} | ${row.waits} | ${describe(before, after, 1)} |`,
      );
    }
  } finally {
    await Promise.all([managers.never.close(), managers.always.close()]);
    redis.disconnect();
    observer.disconnect();
    await server.stop();
  }
  return lines.join('\n');
}

if (require.main === module) {
  runRoundTrips().then(
    (table) => console.log(table),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
