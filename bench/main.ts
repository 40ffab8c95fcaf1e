import { assertBuiltLibrary } from './support/built-library'; // first: the library below loads from dist/
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startRedisServer, type RedisServer } from '../spec/support/redis-server';
import { formatProfile, profileHits } from './profile-hit';
import { failureScenario } from './scenarios/failure';
import { getManyScenario } from './scenarios/get-many';
import { hitScenario } from './scenarios/hit';
import { memoryScenario } from './scenarios/memory';
import { missScenario } from './scenarios/miss';
import { stampedeScenario } from './scenarios/stampede';
import { MEMORY_SUBJECTS, NODE_REDIS_SUBJECTS, REDIS_SUBJECTS } from './subjects';
import type { RedisTarget } from './subjects/subject';
import { killChildren } from './support/children';
import { redisClient, whenReady } from './support/clients';
import { describeMachine } from './support/machine';
import { renderMarkdown, renderSvg, type BenchResults } from './support/report';
import { settingsFor } from './support/settings';

const SCENARIOS = [
  'hit',
  'miss',
  'batch',
  'memory',
  'stampede',
  'failure',
  'serializers',
  'profile',
] as const;
type Scenario = (typeof SCENARIOS)[number];

const RESULTS_DIR = join(__dirname, 'results');
/** The page the full results go to (the README keeps a summary and links there). */
const BENCH_PAGE = join(__dirname, '..', 'docs', 'benchmarks.md');
const START_MARK = '<!-- bench:start -->';
const END_MARK = '<!-- bench:end -->';

interface Args {
  quick: boolean;
  only: Set<Scenario>;
  updateDocs: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { quick: false, only: new Set(SCENARIOS), updateDocs: false };
  for (const arg of argv) {
    if (arg === '--quick') args.quick = true;
    // --update-readme is the former name, from when the tables lived in the README.
    else if (arg === '--update-docs' || arg === '--update-readme') args.updateDocs = true;
    else if (arg.startsWith('--only=')) {
      const wanted = arg.slice('--only='.length).split(',').filter(Boolean);
      const unknown = wanted.filter((w) => !(SCENARIOS as readonly string[]).includes(w));
      if (unknown.length > 0)
        throw new Error(
          `unknown scenario(s) ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}`,
        );
      args.only = new Set(wanted as Scenario[]);
    } else if (arg === '--help' || arg === '-h') {
      console.log(`npm run bench -- [--quick] [--only=${SCENARIOS.join(',')}] [--update-docs]`);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg} (try --help)`);
  }
  return args;
}

const log = (message: string): void => {
  process.stderr.write(`[bench] ${message}\n`);
};

/** bench/serializers.ts is another piece of work; its table is included when the file exists. */
async function serializerTable(): Promise<string> {
  const file = join(__dirname, 'serializers.ts');
  if (!existsSync(file)) return 'n/a: bench/serializers.ts does not exist yet.';
  // A variable specifier, so that this file typechecks whether or not serializers.ts exists.
  const specifier = file;
  const mod = (await import(specifier)) as { runSerializerBench?: () => Promise<string> };
  if (typeof mod.runSerializerBench !== 'function')
    return 'n/a: bench/serializers.ts does not export runSerializerBench().';
  return mod.runSerializerBench();
}

/** Replaces what lies between the bench markers of docs/benchmarks.md, and nothing else. */
function updateBenchPage(section: string): void {
  const text = readFileSync(BENCH_PAGE, 'utf8');
  const start = text.indexOf(START_MARK);
  const end = text.indexOf(END_MARK);
  if (start < 0 || end < start)
    throw new Error(`docs/benchmarks.md has no ${START_MARK} … ${END_MARK} section`);
  writeFileSync(
    BENCH_PAGE,
    `${text.slice(0, start + START_MARK.length)}\n${section}\n${text.slice(end)}`,
  );
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  assertBuiltLibrary();
  const settings = settingsFor(args.quick);
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0];
  log(`starting a disposable redis-server${args.quick ? ' (quick run)' : ''} …`);
  const server: RedisServer = await startRedisServer();
  const target: RedisTarget = { host: server.host, port: server.port };
  const onSigint = (): void => {
    log('interrupted: stopping workers and redis-server');
    killChildren();
    server.resume();
    void server.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSigint);
  const admin = redisClient(target);
  const failures: string[] = [];
  const results: Partial<Omit<BenchResults, 'failures'>> = {};

  const step = async <T>(
    name: Scenario,
    what: string,
    run: () => Promise<T>,
  ): Promise<T | undefined> => {
    if (!args.only.has(name)) return undefined;
    const t0 = performance.now();
    log(`${what} …`);
    try {
      return await run();
    } catch (error) {
      failures.push(
        `${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`
          .split('\n')
          .slice(0, 3)
          .join(' '),
      );
      log(`${name} failed: ${String(error)}`);
      return undefined;
    } finally {
      log(`${what}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  };

  try {
    await whenReady(admin);
    const hit = await step('hit', 'hit path, Redis tier', () =>
      hitScenario([...REDIS_SUBJECTS, ...NODE_REDIS_SUBJECTS], target, settings),
    );
    const miss = await step('miss', 'miss path', () =>
      missScenario([...REDIS_SUBJECTS, ...NODE_REDIS_SUBJECTS], target, settings),
    );
    await admin.flushall(); // our own disposable server: drop the miss keys before the next scenario
    const batch = await step('batch', 'getMany of 100 keys vs 100 gets', () =>
      getManyScenario(REDIS_SUBJECTS, target, settings),
    );
    const memory = await step('memory', 'in-process tier vs Map', () =>
      memoryScenario(MEMORY_SUBJECTS, target, settings),
    );
    const stampede = await step('stampede', 'stampede, 1 and 4 processes', () =>
      stampedeScenario(REDIS_SUBJECTS, target),
    );
    const failure = await step('failure', 'Redis unreachable and paused', () =>
      failureScenario(REDIS_SUBJECTS, server, settings),
    );
    const serializers = await step('serializers', 'serializers', serializerTable);
    const profile = await step('profile', 'CPU profiles of the hit path', async () =>
      formatProfile(await profileHits(target, settings.profileSeconds, RESULTS_DIR)),
    );
    Object.assign(results, { hit, miss, batch, memory, stampede, failure, serializers, profile });
  } finally {
    admin.disconnect();
    server.resume();
    await server.stop();
    process.off('SIGINT', onSigint);
  }

  const machine = describeMachine(
    [
      'ioredis',
      ...[...REDIS_SUBJECTS, ...NODE_REDIS_SUBJECTS, ...MEMORY_SUBJECTS].flatMap((s) =>
        s.packageName && s.packageName !== 'ioredis' ? [s.packageName] : [],
      ),
      'keyv',
      '@keyv/redis',
      '@type-cacheable/ioredis-adapter',
      '@type-cacheable/lru-cache-adapter',
    ],
    loadAtStart,
  );
  const report: BenchResults = {
    ...results,
    startedAt,
    durationS: (performance.now() - started) / 1000,
    settings,
    machine,
    failures,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const caption = `${machine.cpu}, ${machine.cores} cores · Node ${machine.node} · redis-server ${machine.redisServer} · ${startedAt.slice(0, 10)}`;
  if (report.hit)
    writeFileSync(join(RESULTS_DIR, 'latest.svg'), renderSvg(report.hit, report.miss, caption));
  const markdown = renderMarkdown(report, report.hit ? 'latest.svg' : undefined);
  writeFileSync(join(RESULTS_DIR, 'latest.md'), `# cache-aside benchmark\n\n${markdown}\n`);
  writeFileSync(join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(markdown);
  if (args.updateDocs) {
    updateBenchPage(
      renderMarkdown(report, report.hit ? '../bench/results/latest.svg' : undefined, true),
    );
    log('docs/benchmarks.md updated');
  }
  log(
    `done in ${report.durationS.toFixed(0)} s; wrote bench/results/latest.md, latest.svg, latest.json`,
  );
  return failures.length > 0 ? 1 : 0;
}
