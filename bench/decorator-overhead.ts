/**
 * What the decorators add to a cache hit, measured against `manager.get` in the same run.
 *
 *   npx tsx bench/decorator-overhead.ts [rounds] [hitsPerRound]
 *
 * Two settings, each interleaved round by round (so drift on the machine hits every subject
 * alike), reported as medians:
 *
 * 1. `in-memory port`: a manager stand-in whose `get` answers from a Map at once. No I/O, so the
 *    difference between `port.get` and a decorated method is the interceptor alone, in ns.
 * 2. `redis`: a real `CacheAsideManager` over a disposable redis-server (started here on a free
 *    port, stopped at the end; never 127.0.0.1:6379), 64 hits in flight, 1 KB JSON values,
 *    process CPU time per hit (`process.cpuUsage`), which is what the interceptor costs a server.
 *
 * Subjects: `manager.get` with the options a decorated method would pass; `@Cacheable` with a
 * template key; `@Cacheable` with a key function, a class namespace and a TTL function (the
 * options that used to be resolved per call); and, for the in-memory port, `@CacheableMany` of
 * 10 ids against `getMany`.
 */
import './support/built-library'; // first: the library below loads from dist/ (see built-library.ts)
import 'reflect-metadata';
import Redis from 'ioredis';
import { performance } from 'node:perf_hooks';
import {
  CacheAsideManager,
  Cacheable,
  CacheableMany,
  CacheConfig,
  CacheInterceptor,
  type CacheManagerPort,
  type GetOptions,
} from '../lib';
import { startRedisServer } from '../spec/support/redis-server';

const ROUNDS = Number(process.argv[2] ?? 15);
const HITS = Number(process.argv[3] ?? 20_000);
const IN_FLIGHT = 64;
const KEYS = 256;

type Get = (i: number) => Promise<unknown>;

interface Subject {
  readonly name: string;
  readonly get: Get;
}

/** A manager answering every `get` from a Map, without I/O: isolates the interceptor. */
class MemoryPort implements CacheManagerPort {
  readonly defaultTtl = 60;
  readonly store = new Map<string, unknown>();
  async get<T>(
    key: string,
    loader: (key: string) => T | Promise<T>,
    _opts?: GetOptions<T>,
  ): Promise<T> {
    if (this.store.has(key)) return this.store.get(key) as T;
    const value = await loader(key);
    this.store.set(key, value);
    return value;
  }
  async getMany<T>(
    keys: readonly string[],
    loader: (missing: string[]) => Promise<readonly T[]> | readonly T[],
  ): Promise<T[]> {
    const missing = keys.filter((k) => !this.store.has(k));
    if (missing.length > 0) {
      const values = await loader(missing);
      missing.forEach((k, i) => this.store.set(k, values[i]));
    }
    return keys.map((k) => this.store.get(k) as T);
  }
  async set(key: string, value: unknown): Promise<void> {
    this.store.set(key, value);
  }
  async invalidate(): Promise<number> {
    return 0;
  }
  async invalidatePattern(): Promise<number> {
    return 0;
  }
  async invalidateTags(): Promise<number> {
    return 0;
  }
}

function record(id: string): Record<string, unknown> {
  return {
    id,
    name: `user ${id}`,
    email: `${id}@example.com`,
    bio: 'x'.repeat(900),
    createdAt: 1700000000000,
  };
}

function subjectsFor(manager: CacheManagerPort, managerName: string, withMany: boolean): Subject[] {
  const keys = Array.from({ length: KEYS }, (_, i) => `u${i}`);
  const load = (key: string) => record(key);

  class Plain {
    @Cacheable({ key: 'user:{0}', ttl: 60, manager: managerName })
    async find(id: string): Promise<unknown> {
      return record(id);
    }
  }

  @CacheConfig({ namespace: 'ns', manager: managerName })
  class Configured {
    @Cacheable({ key: (id: string) => `user:${id}`, ttl: (v: unknown) => (v === null ? 5 : 60) })
    async find(id: string): Promise<unknown> {
      return record(id);
    }
  }

  const plain = new Plain();
  const configured = new Configured();
  const plainOpts: GetOptions = { ttl: 60, label: 'Plain.find' };
  const subjects: Subject[] = [
    { name: 'manager.get', get: (i) => manager.get(`user:${keys[i % KEYS]}`, load, plainOpts) },
    { name: '@Cacheable template key', get: (i) => plain.find(keys[i % KEYS]) },
    { name: '@Cacheable key fn + namespace + ttl fn', get: (i) => configured.find(keys[i % KEYS]) },
  ];

  if (withMany && manager.getMany) {
    class Batch {
      @CacheableMany({ key: 'user:{0}', manager: managerName })
      async findMany(ids: string[]): Promise<unknown[]> {
        return ids.map(record);
      }
    }
    const batch = new Batch();
    const idLists = Array.from({ length: KEYS }, (_, i) =>
      Array.from({ length: 10 }, (_, j) => keys[(i + j) % KEYS]),
    );
    const loadMany = (missing: string[]) => missing.map(load);
    subjects.push(
      {
        name: 'manager.getMany (10 keys)',
        get: (i) =>
          manager.getMany!(
            idLists[i % KEYS].map((k) => `user:${k}`),
            loadMany,
          ),
      },
      { name: '@CacheableMany (10 ids)', get: (i) => batch.findMany(idLists[i % KEYS]) },
    );
  }
  return subjects;
}

/** Runs `hits` calls with `IN_FLIGHT` outstanding; returns CPU µs and wall µs per call. */
async function run(subject: Subject, hits: number): Promise<{ cpu: number; wall: number }> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < hits) await subject.get(next++);
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { cpu: (cpu.user + cpu.system) / hits, wall: (wall * 1000) / hits };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function measure(title: string, subjects: Subject[], hits: number): Promise<void> {
  // Warm: fill the cache and let V8 optimise every path before timing.
  for (const s of subjects) await run(s, Math.max(hits, 5 * KEYS));
  const cpu = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  const wall = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? subjects : [...subjects].reverse();
    for (const s of order) {
      const m = await run(s, hits);
      cpu.get(s.name)!.push(m.cpu);
      wall.get(s.name)!.push(m.wall);
    }
  }
  const base = median(cpu.get(subjects[0].name)!);
  console.log(
    `\n### ${title} — ${ROUNDS} rounds × ${hits} hits, ${IN_FLIGHT} in flight, medians\n`,
  );
  console.log('| subject | CPU µs / call | vs manager.get | wall µs / call |');
  console.log('|---|---:|---:|---:|');
  for (const s of subjects) {
    const c = median(cpu.get(s.name)!);
    const w = median(wall.get(s.name)!);
    const delta = s.name.includes('(10')
      ? ''
      : `${c - base >= 0 ? '+' : ''}${(c - base).toFixed(2)}`;
    console.log(`| ${s.name} | ${c.toFixed(2)} | ${delta} | ${w.toFixed(2)} |`);
  }
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);

  const port = new MemoryPort();
  CacheInterceptor.use(port, 'memory');
  await measure('in-memory port (interceptor alone)', subjectsFor(port, 'memory', true), HITS * 5);

  const server = await startRedisServer();
  const redis = new Redis({ host: server.host, port: server.port });
  try {
    const manager = new CacheAsideManager({ redis, keyPrefix: `bench:decorators:${process.pid}:` });
    CacheInterceptor.use(manager, 'redis');
    await measure(
      `CacheAsideManager on redis-server :${server.port}`,
      subjectsFor(manager, 'redis', false),
      HITS,
    );
    await manager.close();
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
