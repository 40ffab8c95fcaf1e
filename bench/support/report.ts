import type { FailureRow, CallCell } from '../scenarios/failure';
import type { BatchRow } from '../scenarios/get-many';
import type { HitRow } from '../scenarios/hit';
import type { MemoryResult } from '../scenarios/memory';
import type { MissRow } from '../scenarios/miss';
import type { StampedeRow } from '../scenarios/stampede';
import type { Machine } from './machine';
import type { BenchSettings } from './settings';

export interface BenchResults {
  readonly startedAt: string;
  readonly durationS: number;
  readonly settings: BenchSettings;
  readonly machine: Machine;
  readonly hit?: HitRow[];
  readonly miss?: MissRow[];
  readonly batch?: BatchRow[];
  readonly memory?: MemoryResult;
  readonly stampede?: StampedeRow[];
  readonly failure?: FailureRow[];
  /** Markdown from bench/serializers.ts, or why it is missing. */
  readonly serializers?: string;
  /** Markdown summary of the hit-path CPU profile. */
  readonly profile?: string;
  /** Scenarios that failed as a whole. */
  readonly failures: string[];
}

const DASH = '—';
const plain = (label: string): string => label.replace(/`/g, '');
const ops = (n: number | undefined): string =>
  n === undefined || !Number.isFinite(n) ? DASH : Math.round(n).toLocaleString('en-US');
const ratio = (n: number | undefined): string =>
  n === undefined || !Number.isFinite(n) ? DASH : `${n.toFixed(2)}×`;
const us = (n: number | undefined): string =>
  n === undefined || !Number.isFinite(n)
    ? DASH
    : n < 100
      ? n.toFixed(1)
      : Math.round(n).toLocaleString('en-US');
const signed = (n: number): string => `${n >= 0 ? '+' : '−'}${us(Math.abs(n))}`;

function table(header: string[], rows: string[][], align: Array<'l' | 'r'>): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${align.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** A row that could not run: its reason in the first value column, dashes after. */
function naRow(label: string, reason: string, width: number): string[] {
  return [label, reason, ...Array.from({ length: width - 2 }, () => DASH)];
}

/** The "× raw node-redis" column, shown when raw node-redis ran. */
const nodeRedisColumn = (rows: ReadonlyArray<HitRow | MissRow>): boolean =>
  rows.some((r) => r.id === 'raw-node-redis' && !r.na);

function hitTable(rows: HitRow[]): string {
  const raw = rows.find((r) => r.id === 'raw');
  const both = nodeRedisColumn(rows);
  const body = rows.map((r) => {
    if (r.na) return naRow(r.label, r.na, both ? 7 : 6);
    const delta =
      raw?.p50 !== undefined && r.p50 !== undefined && r.id !== 'raw'
        ? signed(r.p50 - raw.p50)
        : DASH;
    const warn = r.loadsDuringHits ? ` ⚠ ${r.loadsDuringHits} loads` : '';
    return [
      r.label,
      ops(r.opsPerSec) + warn,
      ratio(r.ratio),
      ...(both ? [ratio(r.ratioToNodeRedis)] : []),
      us(r.p50),
      us(r.p99),
      delta,
    ];
  });
  return table(
    [
      'library',
      'hits/s, 64 in flight',
      '× raw ioredis',
      ...(both ? ['× raw node-redis'] : []),
      'p50 µs',
      'p99 µs',
      'p50 vs raw, µs',
    ],
    body,
    ['l', 'r', 'r', ...(both ? (['r'] as const) : []), 'r', 'r', 'r'],
  );
}

function missTable(rows: MissRow[]): string {
  const both = nodeRedisColumn(rows);
  const body = rows.map((r) =>
    r.na
      ? naRow(r.label, r.na, both ? 5 : 4)
      : [
          r.label,
          ops(r.opsPerSec),
          ratio(r.ratio),
          ...(both ? [ratio(r.ratioToNodeRedis)] : []),
          us(r.p50),
        ],
  );
  return table(
    [
      'library',
      'misses/s, 64 in flight',
      '× raw ioredis',
      ...(both ? ['× raw node-redis'] : []),
      'p50 µs',
    ],
    body,
    ['l', 'r', 'r', ...(both ? (['r'] as const) : []), 'r'],
  );
}

function batchTable(rows: BatchRow[]): string {
  const body = rows.map((r) => {
    if (r.na) return naRow(r.label, r.na, 4);
    const speedup =
      r.batchUs !== undefined && r.singlesUs !== undefined ? ratio(r.singlesUs / r.batchUs) : DASH;
    const warn = r.loadsDuringHits ? ` ⚠ ${r.loadsDuringHits} loads` : '';
    return [
      r.label,
      r.batchUs === undefined ? 'n/a: no batch read' : us(r.batchUs) + warn,
      us(r.singlesUs),
      speedup,
    ];
  });
  return table(
    [
      'library',
      'one batch read of 100 keys, µs',
      '100 single gets in flight, µs',
      'batch speed-up',
    ],
    body,
    ['l', 'r', 'r', 'r'],
  );
}

function memoryTable(result: MemoryResult): string {
  const body = result.rows.map((r) =>
    r.na ? naRow(r.label, r.na, 3) : [r.label, ops(r.opsPerSec), ratio(r.ratioToMap)],
  );
  return table(['tier', 'hits/s, 64 in flight', '× plain Map'], body, ['l', 'r', 'r']);
}

function stampedeTable(rows: StampedeRow[]): string {
  const body = rows.map((r) => [
    r.label,
    String(r.oneProcess),
    String(r.fourProcesses),
    String(r.errors),
  ]);
  return table(
    [
      'library',
      'loader calls, 1 process × 200 misses',
      'loader calls, 4 processes × 50 misses',
      'calls that threw',
    ],
    body,
    ['l', 'r', 'r', 'r'],
  );
}

function callCell(cell: CallCell): string {
  if ('na' in cell) return cell.na;
  if (cell.outcome === 'timeout')
    return cell.tried ? `> ${cell.limitMs} ms` : `not tried (2 calls hung)`;
  const ms = cell.ms < 10 ? cell.ms.toFixed(2) : Math.round(cell.ms).toLocaleString('en-US');
  return `${ms} ms${cell.outcome === 'error' ? ' (threw)' : ''}`;
}

function failureTable(rows: FailureRow[]): string {
  const sameNa = (r: FailureRow): string | undefined =>
    'na' in r.unreachableFirst &&
    'na' in r.pausedFirst &&
    r.unreachableFirst.na === r.pausedFirst.na
      ? r.unreachableFirst.na
      : undefined;
  const body = rows.map((r) => {
    const na = sameNa(r);
    if (na) return naRow(r.label, na, 5);
    return [
      r.label,
      callCell(r.unreachableFirst),
      callCell(r.unreachableLast),
      callCell(r.pausedFirst),
      callCell(r.pausedLast),
    ];
  });
  return table(
    [
      'library',
      'unreachable: 1st call',
      'unreachable: 5th call',
      'paused: 1st call',
      'paused: 5th call',
    ],
    body,
    ['l', 'r', 'r', 'r', 'r'],
  );
}

export function machineTable(m: Machine): string {
  const rows = [
    ['CPU', `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB`],
    ['OS', m.os],
    ['load average (1 min)', m.load],
    ['Node.js', m.node],
    ['redis-server', `${m.redisServer} (a disposable local server started by the bench, loopback)`],
    ['measured', m.library],
    ...m.packages.map((p) => [p.name, p.version]),
  ];
  return table(['', ''], rows, ['l', 'l']);
}

/** The whole report as Markdown (also what goes between the bench markers of docs/benchmarks.md). */
export function renderMarkdown(r: BenchResults, chartPath?: string, forDocs = false): string {
  const s = r.settings;
  const out: string[] = [];
  out.push(
    `Run ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${Math.round(r.durationS)} s${s.quick ? ' (`--quick`: shortened rounds, noisier)' : ''}. ` +
      `1 KB JSON records, ${s.hitKeys} keys, one connection per library (ioredis with its defaults; node-redis where the row says so), ${s.inFlight} calls in flight for throughput, one at a time for latency. ` +
      'cache-aside as the package ships it (`dist/`, built by `tsc`; see `bench/support/built-library.ts`). ' +
      `Throughput: median of ${s.hitRounds} rounds of ${s.hitRoundMs} ms in rotating order; ratios are median ÷ median of raw ioredis (and of raw node-redis) in the same run.`,
  );
  if (chartPath) out.push('', `![Hit and miss throughput relative to raw ioredis](${chartPath})`);
  if (r.hit) {
    out.push('', '### Hit path, Redis tier', '', hitTable(r.hit), '');
    out.push(
      'Raw ioredis writes each command to the socket on its own; cache-aside sends the commands of one ' +
        'event-loop tick in one write (`coalesceWrites`, on by default). The `coalesceWrites: false` row is ' +
        'the library\'s own cost over raw ioredis with the same writes; "Where the time of a hit goes" breaks a hit down.',
    );
  }
  if (r.miss)
    out.push(
      '',
      '### Miss path (loader returns at once, a new key every call)',
      '',
      missTable(r.miss),
    );
  if (r.batch)
    out.push('', '### 100 cached keys: one batch read vs 100 single gets', '', batchTable(r.batch));
  if (r.memory) {
    out.push('', '### In-process tier (L1) hit path', '', memoryTable(r.memory), '');
    out.push(
      `For scale, a synchronous \`map.get\` loop: ${ops(r.memory.syncMapOpsPerSec)} lookups/s.`,
    );
  }
  if (r.stampede) {
    out.push(
      '',
      '### Stampede: concurrent misses of one cold key (loader takes 100 ms)',
      '',
      stampedeTable(r.stampede),
      '',
    );
    out.push(
      'Loader calls counted with `INCR` on the bench Redis, so the four processes add up; the processes build their clients, then are released together.',
    );
  }
  if (r.failure) {
    out.push(
      '',
      `### Redis unreachable (a port nothing listens on) and paused (SIGSTOP), loader returns at once`,
      '',
      failureTable(r.failure),
      '',
    );
    out.push(
      `Five calls in a row per library; every call bounded at ${s.hardTimeoutMs} ms by the bench (\`> ${s.hardTimeoutMs} ms\` means it had not returned). ` +
        'cache-aside runs alone first; the peers then run side by side. The 5th call of cache-aside comes after its circuit breaker opened (3 failures).',
    );
  }
  if (r.serializers)
    out.push('', '### Serializers: encode/decode cost and stored bytes', '', r.serializers);
  if (r.profile && forDocs) {
    out.push(
      '',
      '### Where the time of a hit goes',
      '',
      'A CPU profile of the hit path (raw ioredis, `manager.get`, `@Cacheable`) is in [bench/results/latest.md](../bench/results/latest.md).',
    );
  } else if (r.profile) out.push('', '### Where the time of a hit goes', '', r.profile);
  if (r.failures.length > 0)
    out.push('', '### Scenarios that failed', '', ...r.failures.map((f) => `- ${f}`));
  out.push('', '### Machine and versions', '', machineTable(r.machine));
  out.push(
    '',
    '### Running it',
    '',
    '```sh',
    'npm run bench                    # installs bench/node_modules on first run; about 2 min on 2 cores',
    'npm run bench -- --quick         # shorter rounds, for a smoke run',
    'npm run bench -- --only=hit,miss # scenarios: hit, miss, batch, memory, stampede, failure, serializers, profile',
    'npx tsx bench/profile-hit.ts 5   # the hit-path CPU profiles alone',
    '```',
    '',
    "The peers are `bench/package.json` dependencies, not the library's. Every run starts its own `redis-server` on a free loopback port and stops it at the end. " +
      'Results go to `bench/results/latest.md` and `bench/results/latest.svg`; `--update-docs` also copies them here.',
  );
  return out.join('\n');
}

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A horizontal bar chart of hit and miss throughput relative to raw ioredis (same run), drawn by
 * hand: two bars per library, a line at 1.0 (raw) and a dashed line at 0.9 (the hit target).
 */
export function renderSvg(
  hit: readonly HitRow[] = [],
  miss: readonly MissRow[] = [],
  caption = '',
): string {
  const subjects = hit.filter((r) => !r.na && r.ratio !== undefined);
  const missBy = new Map(miss.map((r) => [r.id, r]));
  const labelWidth = 330;
  const plotWidth = 380;
  const rowHeight = 38;
  const top = 48;
  const width = labelWidth + plotWidth + 70;
  const height = top + subjects.length * rowHeight + 46;
  const maxRatio = Math.max(
    1.2,
    ...subjects.map((r) => r.ratio ?? 0),
    ...miss.map((r) => r.ratio ?? 0),
  );
  const x = (value: number): number => labelWidth + (plotWidth * value) / maxRatio;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="20" font-size="14" font-weight="600">Throughput relative to raw ioredis (same run, 64 in flight, 1 KB JSON)</text>`,
    `<rect x="${labelWidth}" y="29" width="10" height="10" fill="#2f6fdf"/><text x="${labelWidth + 14}" y="38">hit</text>`,
    `<rect x="${labelWidth + 50}" y="29" width="10" height="10" fill="#f0a030"/><text x="${labelWidth + 64}" y="38">miss</text>`,
  ];
  subjects.forEach((r, i) => {
    const y = top + i * rowHeight;
    const missRatio = missBy.get(r.id)?.ratio;
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 19}" text-anchor="end">${escapeXml(plain(r.label))}</text>`,
    );
    parts.push(
      `<rect x="${labelWidth}" y="${y + 4}" width="${Math.max(1, x(r.ratio!) - labelWidth).toFixed(1)}" height="14" fill="#2f6fdf"/>`,
    );
    parts.push(
      `<text x="${(x(r.ratio!) + 4).toFixed(1)}" y="${y + 15}">${r.ratio!.toFixed(2)}</text>`,
    );
    if (missRatio !== undefined && Number.isFinite(missRatio)) {
      parts.push(
        `<rect x="${labelWidth}" y="${y + 20}" width="${Math.max(1, x(missRatio) - labelWidth).toFixed(1)}" height="12" fill="#f0a030"/>`,
      );
      parts.push(
        `<text x="${(x(missRatio) + 4).toFixed(1)}" y="${y + 30}" fill="#7a4a00">${missRatio.toFixed(2)}</text>`,
      );
    }
  });
  const bottom = top + subjects.length * rowHeight;
  parts.push(
    `<line x1="${labelWidth}" y1="${top - 2}" x2="${labelWidth}" y2="${bottom}" stroke="#333"/>`,
  );
  parts.push(
    `<line x1="${x(1)}" y1="${top - 2}" x2="${x(1)}" y2="${bottom}" stroke="#333" stroke-width="1"/>`,
  );
  parts.push(
    `<line x1="${x(0.9)}" y1="${top - 2}" x2="${x(0.9)}" y2="${bottom}" stroke="#c00" stroke-dasharray="4 3"/>`,
  );
  parts.push(`<text x="${x(1)}" y="${bottom + 14}" text-anchor="middle">1.0 = raw</text>`);
  parts.push(
    `<text x="${x(0.9)}" y="${bottom + 28}" text-anchor="middle" fill="#c00">0.9 target</text>`,
  );
  if (caption)
    parts.push(
      `<text x="12" y="${height - 6}" fill="#666" font-size="11">${escapeXml(caption)}</text>`,
    );
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
