/**
 * Where the time of a cache hit goes: the hit loop (64 in flight, 1 KB JSON values, the bench's own
 * redis-server) of raw ioredis, `manager.get` and a `@Cacheable` method (when the decorators are
 * there), each under the V8 sampling profiler, summarised by self time and by CPU µs per hit.
 *
 *   npx tsx bench/profile-hit.ts [seconds]   prints the summary; writes bench/results/<subject>.cpuprofile
 *
 * `npm run bench` runs the same and puts the summary in bench/results/latest.md.
 */
import './support/built-library'; // first: the library below loads from dist/ (see built-library.ts)
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join, relative } from 'node:path';
import { startRedisServer } from '../spec/support/redis-server';
import {
  cacheAsideDecorated,
  cacheAsideManager,
  cacheAsideUncoalesced,
} from './subjects/cache-aside';
import { rawIoredis } from './subjects/raw-ioredis';
import type { RedisTarget, SubjectDefinition } from './subjects/subject';
import { buildAll, closeAll, keyRange, populate, rotated } from './support/harness';
import { throughput } from './support/measure';
import { countingLoader } from './support/record';

const REPO_ROOT = join(__dirname, '..');
const TOP = 15;
const PROFILED: readonly SubjectDefinition[] = [
  rawIoredis,
  cacheAsideManager,
  cacheAsideDecorated,
  cacheAsideUncoalesced,
];
/** The subject whose top functions are listed. */
const FOCUS = cacheAsideManager.id;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  readonly fn: string;
  readonly file: string;
  readonly selfMs: number;
  readonly percent: number;
}

export interface SubjectProfile {
  readonly id: string;
  readonly label: string;
  readonly na?: string;
  readonly hitsPerSecond?: number;
  /** Sampled CPU time (idle excluded) divided by the hits made meanwhile. */
  readonly cpuUsPerHit?: number;
  readonly top?: ProfileLine[];
  /** CPU µs per hit by where the code lives: lib/, ioredis, Node internals, GC, … */
  readonly areas?: Map<string, number>;
  /** CPU µs per hit of every function (keyed by function + file). */
  readonly perHit?: Map<string, ProfileLine>;
  readonly profilePath?: string;
}

export interface ProfileReport {
  readonly seconds: number;
  readonly subjects: SubjectProfile[];
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
  if (fn === '(program)') return 'V8 runtime (program)';
  if (file.startsWith('lib/')) return `cache-aside ${file.split('/').slice(0, 2).join('/')}/`;
  if (/^(ioredis|redis-parser|denque|standard-as-callback|cluster-key-slot|@ioredis)\//.test(file))
    return 'ioredis + redis-parser';
  if (file.startsWith('node:')) return 'Node internals (net, streams, buffer)';
  if (file.startsWith('bench/subjects/')) return 'bench subject code (raw: JSON.parse inline)';
  if (file.startsWith('bench/')) return 'bench harness loop';
  if (file === '(native)') return 'native bindings (socket write, poll, microtasks)';
  return file.split('/')[0];
}

/** Self time per function+file, sorted; and the sampled total (idle excluded), in µs. */
function selfTimes(profile: CpuProfile): {
  lines: Array<{ fn: string; file: string; us: number }>;
  totalUs: number;
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, { fn: string; file: string; us: number }>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const fn = node.callFrame.functionName || '(anonymous)';
    if (fn === '(idle)' || fn === '(root)') return;
    const file = fileOf(node.callFrame.url);
    const us = profile.timeDeltas[i] ?? 0;
    totalUs += us;
    const key = `${fn}\u0000${file}`;
    const entry = self.get(key) ?? { fn, file, us: 0 };
    entry.us += us;
    self.set(key, entry);
  });
  return { lines: [...self.values()].sort((a, b) => b.us - a.us), totalUs };
}

/** Slices per subject: profiling alternates between subjects so that a noisy moment hits all alike. */
const SLICES = 4;

interface Accumulated {
  hits: number;
  totalUs: number;
  self: Map<string, { fn: string; file: string; us: number }>;
  profiles: CpuProfile[];
}

/** Profiles the hit loop of each subject against the Redis at `target`, `seconds` each, interleaved. */
export async function profileHits(
  target: RedisTarget,
  seconds: number,
  outDir = join(__dirname, 'results'),
): Promise<ProfileReport> {
  mkdirSync(outDir, { recursive: true });
  const built = await buildAll(PROFILED, target, 'profile');
  const session = new Session();
  session.connect();
  try {
    const keys = keyRange('user:', 1000);
    const live = built.filter((b) => b.subject);
    const loops = new Map<string, (i: number) => Promise<unknown>>();
    for (const b of live) {
      const { loader } = countingLoader();
      await populate(b.subject!, keys, loader);
      const hit = (i: number) => b.subject!.get(keys[i % keys.length], loader);
      await throughput(hit, 64, 500); // warm: the profile should show the optimised steady state
      loops.set(b.def.id, hit);
    }
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    const acc = new Map<string, Accumulated>(
      live.map((b) => [b.def.id, { hits: 0, totalUs: 0, self: new Map(), profiles: [] }]),
    );
    const sliceMs = (seconds * 1000) / SLICES;
    for (let slice = 0; slice < SLICES; slice++) {
      for (const b of rotated(live, slice)) {
        await session.post('Profiler.start');
        const rate = await throughput(loops.get(b.def.id)!, 64, sliceMs);
        const { profile } = (await session.post('Profiler.stop')) as unknown as {
          profile: CpuProfile;
        };
        const into = acc.get(b.def.id)!;
        into.hits += (rate * sliceMs) / 1000;
        into.profiles.push(profile);
        const { lines, totalUs } = selfTimes(profile);
        into.totalUs += totalUs;
        for (const line of lines) {
          const key = `${line.fn}\u0000${line.file}`;
          const entry = into.self.get(key) ?? { fn: line.fn, file: line.file, us: 0 };
          entry.us += line.us;
          into.self.set(key, entry);
        }
      }
    }
    const subjects = built.map((b): SubjectProfile => {
      if (!b.subject) return { id: b.def.id, label: b.def.label, na: b.unavailable };
      const a = acc.get(b.def.id)!;
      const profilePath = join(outDir, `hit-${b.def.id}.cpuprofile`);
      writeFileSync(profilePath, JSON.stringify(a.profiles[a.profiles.length - 1]));
      const lines = [...a.self.values()].sort((x, y) => y.us - x.us);
      const areas = new Map<string, number>();
      for (const line of lines) {
        const area = areaOf(line.fn, line.file);
        areas.set(area, (areas.get(area) ?? 0) + line.us / a.hits);
      }
      const perHit = new Map(
        lines.map((l) => [
          `${l.fn} ${l.file}`,
          { fn: l.fn, file: l.file, selfMs: l.us / a.hits, percent: (100 * l.us) / a.totalUs },
        ]),
      );
      return {
        id: b.def.id,
        label: b.def.label,
        perHit,
        hitsPerSecond: a.hits / seconds,
        cpuUsPerHit: a.totalUs / a.hits,
        top: lines.slice(0, TOP).map((l) => ({
          fn: l.fn,
          file: l.file,
          selfMs: l.us / 1000,
          percent: (100 * l.us) / a.totalUs,
        })),
        areas,
        profilePath: relative(REPO_ROOT, profilePath),
      };
    });
    return { seconds, subjects };
  } finally {
    session.disconnect();
    await closeAll(built);
  }
}

const fixed = (n: number | undefined, digits = 1): string =>
  n === undefined ? '—' : n.toFixed(digits);

export function formatProfile(report: ProfileReport): string {
  const measured = report.subjects.filter((s) => !s.na);
  const focus = report.subjects.find((s) => s.id === FOCUS);
  const out: string[] = [
    `Each hit loop ran ${report.seconds} s at 64 in flight under the V8 sampling profiler (every 100 µs; profiling slows it), ` +
      `in ${SLICES} slices alternating between subjects; idle time excluded. CPU µs per hit = sampled CPU time ÷ hits made meanwhile. ` +
      'The last slice of each is kept as `bench/results/hit-<subject>.cpuprofile` (opens in Chrome DevTools).',
    '',
  ];
  const areaNames = [...new Set(measured.flatMap((s) => [...s.areas!.keys()]))].sort(
    (a, b) => (focus?.areas?.get(b) ?? 0) - (focus?.areas?.get(a) ?? 0),
  );
  out.push(
    `| CPU µs per hit, by area | ${measured.map((s) => s.label.replace(/`/g, '')).join(' | ')} |`,
    `|---|${measured.map(() => '---:').join('|')}|`,
    ...areaNames.map(
      (area) =>
        `| ${area} | ${measured.map((s) => fixed(s.areas!.get(area) ?? 0, 2)).join(' | ')} |`,
    ),
    `| **total** | ${measured.map((s) => `**${fixed(s.cpuUsPerHit, 2)}**`).join(' | ')} |`,
    `| hits/s under the profiler | ${measured.map((s) => Math.round(s.hitsPerSecond!).toLocaleString('en-US')).join(' | ')} |`,
  );
  for (const s of report.subjects.filter((x) => x.na)) out.push('', `${s.label}: ${s.na}`);
  if (focus?.top) {
    out.push(
      '',
      `Top ${focus.top.length} functions by self time, ${focus.label.replace(/`/g, '')}:`,
      '',
      '| # | function | file | self ms | self % |',
      '|---:|---|---|---:|---:|',
      ...focus.top.map(
        (l, i) =>
          `| ${i + 1} | \`${l.fn}\` | ${l.file} | ${l.selfMs.toFixed(1)} | ${l.percent.toFixed(1)} |`,
      ),
    );
  }
  const raw = report.subjects.find((x) => x.id === 'raw');
  if (focus?.perHit && raw?.perHit) {
    const diffs = [...focus.perHit.entries()]
      .map(([key, line]) => ({ line, extra: line.selfMs - (raw.perHit!.get(key)?.selfMs ?? 0) }))
      .sort((a, b) => b.extra - a.extra)
      .slice(0, 10);
    out.push(
      '',
      `Where ${focus.label.replace(/`/g, '')} spends more than raw ioredis, per hit (raw decodes with \`JSON.parse\` inline in its subject function):`,
      '',
      '| function | file | extra CPU µs per hit |',
      '|---|---|---:|',
      ...diffs.map(
        (d) =>
          `| \`${d.line.fn}\` | ${d.line.file} | ${d.extra >= 0 ? '+' : ''}${d.extra.toFixed(2)} |`,
      ),
    );
  }
  return out.join('\n');
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
      console.log(
        formatProfile(await profileHits({ host: server.host, port: server.port }, seconds)),
      );
    } finally {
      process.off('SIGINT', stop);
      await server.stop();
    }
    process.exit(0);
  })();
}
