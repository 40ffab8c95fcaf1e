/**
 * What observability costs a cache hit: the same hits with nobody subscribed to the diagnostics
 * channels, with a do-nothing subscriber on `cache-aside:get`, and with `enableOpenTelemetry()`
 * reporting to a real OpenTelemetry SDK (metrics, and spans for hits with `traceHits`).
 *
 *   npm run bench:observability -- [rounds] [hitsPerRound]
 *
 * Two managers over a disposable redis-server (started here on a free port, stopped at the
 * end): hits answered by the in-process tier (the cheapest path, where any overhead shows
 * most) and hits answered by Redis. Settings are interleaved round by round, 64 hits in flight,
 * and reported as medians of process CPU time per hit (`process.cpuUsage`) and wall time.
 *
 * The first line says whether the manager publishes on `cache-aside:get` at all: until it does,
 * the subscriber rows measure an idle subscription, and the differences are noise. A third
 * table measures the publishing itself whatever the manager does: a Map lookup published through
 * the same helper, exactly as the manager's hit path calls it (`traceGet` + `noteLookup` behind
 * `cacheChannels.get.hasSubscribers`), so its differences are the cost per hit of the channel
 * and of each subscriber.
 */
import './support/built-library'; // first: the library below loads from dist/ (see built-library.ts)
import { subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import Redis from 'ioredis';
import { CACHE_CHANNEL_NAMES, CacheAsideManager } from '../lib';
import {
  cacheChannels,
  noteLookup,
  registerManager,
  traceGet,
} from '../lib/manager/cache-channels';
import { enableOpenTelemetry } from '../lib/otel';
import { startRedisServer } from '../spec/support/redis-server';

const ROUNDS = Number(process.argv[2] ?? 11);
const HITS = Number(process.argv[3] ?? 20_000);
const IN_FLIGHT = 64;
const KEYS = 256;

/** A way of observing the cache: switched on before a round, off after it. */
interface Setting {
  readonly name: string;
  on(): () => void;
}

const NOTHING = (): void => undefined;

const SETTINGS: readonly Setting[] = [
  { name: 'no subscriber', on: () => NOTHING },
  {
    name: 'no-op subscriber on cache-aside:get',
    on: () => {
      const channel = tracingChannel(CACHE_CHANNEL_NAMES.get);
      const handlers = {
        start: NOTHING,
        end: NOTHING,
        asyncStart: NOTHING,
        asyncEnd: NOTHING,
        error: NOTHING,
      };
      channel.subscribe(handlers);
      return () => channel.unsubscribe(handlers);
    },
  },
  {
    name: 'enableOpenTelemetry() (metrics)',
    on: () => otel(false),
  },
  {
    name: 'enableOpenTelemetry({ traceHits: true })',
    on: () => otel(true),
  },
];

/** OpenTelemetry with a real SDK behind it: a MeterProvider and a TracerProvider that samples all. */
function otel(traceHits: boolean): () => void {
  const meterProvider = new MeterProvider();
  const tracerProvider = new BasicTracerProvider();
  const disable = enableOpenTelemetry({ meterProvider, tracerProvider, traceHits });
  return () => {
    disable();
    void meterProvider.shutdown();
    void tracerProvider.shutdown();
  };
}

type Hit = (i: number) => Promise<unknown>;

/** Runs `hits` calls with `IN_FLIGHT` outstanding; returns CPU µs and wall µs per call. */
async function run(hit: Hit, hits: number): Promise<{ cpu: number; wall: number }> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < hits) await hit(next++);
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

/** True when a hit on this manager reaches a `cache-aside:get` subscriber. */
async function publishes(hit: Hit): Promise<boolean> {
  let seen = 0;
  const count = (): void => {
    seen++;
  };
  subscribe(`tracing:${CACHE_CHANNEL_NAMES.get}:asyncEnd`, count);
  try {
    await hit(0);
  } finally {
    unsubscribe(`tracing:${CACHE_CHANNEL_NAMES.get}:asyncEnd`, count);
  }
  return seen > 0;
}

async function measure(title: string, hit: Hit): Promise<void> {
  // Warm: fill the cache and let V8 optimise every path, under every setting, before timing.
  for (const setting of SETTINGS) {
    const off = setting.on();
    await run(hit, Math.max(HITS, 5 * KEYS));
    off();
  }
  const cpu = new Map<string, number[]>(SETTINGS.map((s) => [s.name, []]));
  const wall = new Map<string, number[]>(SETTINGS.map((s) => [s.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? SETTINGS : [...SETTINGS].reverse();
    for (const setting of order) {
      const off = setting.on();
      try {
        const m = await run(hit, HITS);
        cpu.get(setting.name)!.push(m.cpu);
        wall.get(setting.name)!.push(m.wall);
      } finally {
        off();
      }
    }
  }
  const base = median(cpu.get(SETTINGS[0].name)!);
  console.log(
    `\n### ${title} — ${ROUNDS} rounds × ${HITS} hits, ${IN_FLIGHT} in flight, medians\n`,
  );
  console.log('| setting | CPU µs / hit | vs no subscriber | wall µs / hit |');
  console.log('|---|---:|---:|---:|');
  for (const setting of SETTINGS) {
    const c = median(cpu.get(setting.name)!);
    const w = median(wall.get(setting.name)!);
    const delta = `${c - base >= 0 ? '+' : ''}${(c - base).toFixed(2)}`;
    console.log(`| ${setting.name} | ${c.toFixed(2)} | ${delta} | ${w.toFixed(2)} |`);
  }
}

/** A hit path that publishes as the manager does, around a Map lookup instead of the cache. */
function publishedMapHit(keys: readonly string[]): Hit {
  const store = new Map(keys.map((key) => [key, record(key)]));
  const { identity } = registerManager({
    keyPrefix: 'bench:',
    circuitOpen: () => false,
    l1Entries: () => store.size,
  });
  const read = async (key: string): Promise<unknown> => store.get(key);
  return (i) => {
    const key = keys[i % keys.length];
    if (cacheChannels.get.hasSubscribers) {
      return traceGet(identity, key, 'Users.find', async (trace) => {
        noteLookup(trace, 'hit', 'l1');
        return read(key);
      });
    }
    return read(key);
  };
}

function record(id: string): Record<string, unknown> {
  return { id, name: `user ${id}`, email: `${id}@example.com`, bio: 'x'.repeat(900) };
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  const server = await startRedisServer();
  const redis = new Redis({ host: server.host, port: server.port });
  const prefix = `bench:observability:${process.pid}:`;
  const keys = Array.from({ length: KEYS }, (_, i) => `user:${i}`);
  const load = (key: string) => record(key);
  const l1 = new CacheAsideManager({ redis, keyPrefix: `${prefix}l1:`, l1: { maxEntries: 1_000 } });
  const remote = new CacheAsideManager({ redis, keyPrefix: `${prefix}redis:` });
  try {
    const l1Hit: Hit = (i) => l1.get(keys[i % KEYS], load, { label: 'Users.find' });
    const redisHit: Hit = (i) => remote.get(keys[i % KEYS], load, { label: 'Users.find' });
    for (const key of keys) await Promise.all([l1.get(key, load), remote.get(key, load)]);
    await Promise.all([l1.settle(), remote.settle()]);
    console.log(
      (await publishes(l1Hit))
        ? 'The manager publishes on cache-aside:get.'
        : 'NOTE: this build of the manager does not publish on cache-aside:get yet; the subscriber rows measure an idle subscription.',
    );
    await measure('hits from the in-process tier (l1)', l1Hit);
    await measure(`hits from redis-server :${server.port}`, redisHit);
    await measure(
      'a Map lookup published as the manager will publish a hit',
      publishedMapHit(keys),
    );
  } finally {
    await l1.close();
    await remote.close();
    redis.disconnect();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
