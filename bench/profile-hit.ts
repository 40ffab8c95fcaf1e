/**
 * Where the time of a cache hit goes: the `manager.get` hit loop (64 in flight, 1 KB JSON values,
 * the bench's own redis-server) under the V8 sampling profiler, summarised by self time.
 *
 *   npx tsx bench/profile-hit.ts [seconds]      prints the top 15 and writes bench/results/hit.cpuprofile
 *
 * `npm run bench` runs the same and puts the summary in bench/results/latest.md.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join, relative } from 'node:path';
import { CacheAsideManager } from '../lib';
import { startRedisServer } from '../spec/support/redis-server';
import { dropClient, redisClient, whenReady } from './support/clients';
import { keyRange, populate } from './support/harness';
import { throughput } from './support/measure';
import { countingLoader } from './support/record';
import type { RedisTarget } from './subjects/subject';

const REPO_ROOT = join(__dirname, '..');
const TOP = 15;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  readonly fn: string;
  readonly file: string;
  readonly selfMs: number;
  readonly percent: number;
}

export interface ProfileSummary {
  readonly seconds: number;
  readonly hitsPerSecond: number;
  readonly top: ProfileLine[];
  /** Self time grouped by where the code lives: lib/, ioredis, Node internals, GC, … */
  readonly areas: Array<{ area: string; percent: number }>;
  readonly profilePath: string;
}

/** A short, stable name for a script URL: repo-relative, or the package path after node_modules. */
function fileOf(url: string): string {
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return url;
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  const inModules = path.lastIndexOf('/node_modules/');
  if (inModules >= 0) return path.slice(inModules + '/node_modules/'.length);
  return relative(REPO_ROOT, path);
}

function areaOf(fn: string, file: string): string {
  if (fn === '(garbage collector)') return 'garbage collector';
  if (fn === '(program)') return 'V8 / runtime (program)';
  if (file.startsWith('lib/')) return `cache-aside ${file.split('/').slice(0, 2).join('/')}/`;
  if (/^(ioredis|redis-parser|denque|standard-as-callback|cluster-key-slot|@ioredis)\//.test(file)) return 'ioredis (+ parser)';
  if (file.startsWith('node:')) return 'Node internals (net, streams, timers, promises)';
  if (file.startsWith('bench/')) return 'bench harness';
  if (file === '(native)') return 'native builtins (JSON.parse, Buffer, …)';
  return file.split('/')[0];
}

export function summarize(profile: CpuProfile): { top: ProfileLine[]; areas: Array<{ area: string; percent: number }> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, { fn: string; file: string; us: number }>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const fn = node.callFrame.functionName || '(anonymous)';
    if (fn === '(idle)' || fn === '(root)') return;
    const file = fileOf(node.callFrame.url);
    const us = profile.timeDeltas[i] ?? 0;
    total += us;
    const key = `${fn}\u0000${file}`;
    const entry = self.get(key) ?? { fn, file, us: 0 };
    entry.us += us;
    self.set(key, entry);
  });
  const lines = [...self.values()].sort((a, b) => b.us - a.us);
  const areas = new Map<string, number>();
  for (const line of lines) areas.set(areaOf(line.fn, line.file), (areas.get(areaOf(line.fn, line.file)) ?? 0) + line.us);
  return {
    top: lines.slice(0, TOP).map((l) => ({ fn: l.fn, file: l.file, selfMs: l.us / 1000, percent: (100 * l.us) / total })),
    areas: [...areas.entries()]
      .map(([area, us]) => ({ area, percent: (100 * us) / total }))
      .sort((a, b) => b.percent - a.percent),
  };
}

/** Runs the hit loop for `seconds` under the profiler against the Redis at `target`. */
export async function profileHit(target: RedisTarget, seconds: number, outDir = join(__dirname, 'results')): Promise<ProfileSummary> {
  const redis = redisClient(target);
  await whenReady(redis);
  const manager = new CacheAsideManager({ redis, keyPrefix: 'bench:profile:' });
  const session = new Session();
  try {
    const keys = keyRange('user:', 1000);
    const { loader } = countingLoader();
    await populate({ get: (k, l) => manager.get(k, l), settle: () => manager.settle(), close: async () => undefined }, keys, loader);
    const hit = (i: number) => manager.get(keys[i % keys.length], loader);
    await throughput(hit, 64, 500); // warm: the profile should show the optimised steady state

    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    const hitsPerSecond = await throughput(hit, 64, seconds * 1000);
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };

    mkdirSync(outDir, { recursive: true });
    const profilePath = join(outDir, 'hit.cpuprofile');
    writeFileSync(profilePath, JSON.stringify(profile));
    return { seconds, hitsPerSecond, ...summarize(profile), profilePath: relative(REPO_ROOT, profilePath) };
  } finally {
    session.disconnect();
    await manager.close();
    dropClient(redis);
  }
}

export function formatProfile(summary: ProfileSummary): string {
  const lines = [
    `Profile of \`manager.get\` hits, 64 in flight, ${summary.seconds} s, ${Math.round(summary.hitsPerSecond).toLocaleString('en-US')} hits/s under the profiler (sampling every 100 µs; \`${summary.profilePath}\` opens in Chrome DevTools). Self time, idle excluded:`,
    '',
    '| # | function | file | self ms | self % |',
    '|---:|---|---|---:|---:|',
    ...summary.top.map((l, i) => `| ${i + 1} | \`${l.fn}\` | ${l.file} | ${l.selfMs.toFixed(1)} | ${l.percent.toFixed(1)} |`),
    '',
    '| area | self % |',
    '|---|---:|',
    ...summary.areas.filter((a) => a.percent >= 0.5).map((a) => `| ${a.area} | ${a.percent.toFixed(1)} |`),
  ];
  return lines.join('\n');
}

if (require.main === module) {
  void (async () => {
    const seconds = Number(process.argv[2] ?? 4);
    const server = await startRedisServer();
    const stop = (): void => {
      void server.stop().finally(() => process.exit(130));
    };
    process.once('SIGINT', stop);
    try {
      console.log(formatProfile(await profileHit({ host: server.host, port: server.port }, seconds)));
    } finally {
      process.off('SIGINT', stop);
      await server.stop();
    }
    process.exit(0);
  })();
}
