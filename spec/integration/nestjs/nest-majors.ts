import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { SCENARIOS } from './scenarios';
import { REPORT_MARK, type ScenarioEnv } from './scenarios/support';

/**
 * The Nest majors the e2e suite runs on, behind one interface, so that every case is written
 * once. Nest 11 is the repository's devDependency: scenarios run in the jest process, scripts
 * with tsx. Nest 12's packages are ESM: spec/nest-compat installs them, `prepare` compiles lib/,
 * the sample and the scenarios there to CommonJS (as the package ships), where `@nestjs/*`
 * resolve to Nest 12 and load through require(esm); each scenario runs in a node process of its
 * own, which must end by itself.
 */
export interface NestMajor {
  readonly major: 11 | 12;
  /** Once per spec file, before any case: installs and compiles what the major needs. */
  prepare(): void;
  /** Runs a scenario of ./scenarios and returns its report. */
  scenario(name: string, env: ScenarioEnv): Promise<unknown>;
  /**
   * Runs a script of the repository (its path without extension) in a process of its own,
   * which must end by itself before the deadline.
   */
  runScript(path: string, env: Record<string, string>): Promise<ScriptRun>;
}

export interface ScriptRun {
  readonly code: number | null;
  readonly output: string;
}

const ROOT = join(__dirname, '..', '..', '..');
const COMPAT = join(ROOT, 'spec', 'nest-compat');
const BUILD = join(COMPAT, 'build');
/** Generous: two cores shared with other suites; a process that does not end fails here. */
const SCRIPT_DEADLINE_MS = 120_000;

const nest11: NestMajor = {
  major: 11,
  prepare: () => undefined,
  async scenario(name, env) {
    if (!Object.hasOwn(SCENARIOS, name)) throw new Error(`no scenario named "${name}"`);
    return SCENARIOS[name](env);
  },
  runScript: (path, env) =>
    runProcess([require.resolve('tsx/cli'), join(ROOT, `${path}.ts`)], ROOT, env),
};

const nest12: NestMajor = {
  major: 12,
  prepare() {
    execFileSync(process.execPath, [join(COMPAT, 'install.mjs')], { stdio: 'pipe' });
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', COMPAT], {
      stdio: 'pipe',
    });
  },
  async scenario(name, env) {
    const { code, output } = await nest12.runScript('spec/integration/nestjs/scenarios/run', {
      SCENARIO: name,
      REDIS_URL: env.redisUrl,
      DATABASE_URL: env.databaseUrl,
      KEY_PREFIX: env.prefix,
    });
    const line = output.split('\n').find((l) => l.startsWith(REPORT_MARK));
    if (code !== 0 || line === undefined) {
      throw new Error(`scenario ${name} on Nest 12 exited with ${String(code)}:\n${output}`);
    }
    return JSON.parse(line.slice(REPORT_MARK.length)) as unknown;
  },
  runScript: (path, env) => runProcess([join(BUILD, `${path}.js`)], COMPAT, env),
};

export const NEST_MAJORS: readonly NestMajor[] = [nest11, nest12];

async function runProcess(
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<ScriptRun> {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.at(-1)} did not end within ${SCRIPT_DEADLINE_MS} ms:\n${output}`));
    }, SCRIPT_DEADLINE_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
