import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  /** 1-minute load average when the run began and when it ended: other work on the machine shows here. */
  readonly load: string;
  readonly os: string;
  readonly node: string;
  readonly redisServer: string;
  readonly library: string;
  readonly packages: Array<{ name: string; version: string }>;
}

const ROOT = join(__dirname, '..', '..');

function versionOf(packageName: string): string {
  for (const base of [join(ROOT, 'bench', 'node_modules'), join(ROOT, 'node_modules')]) {
    const file = join(base, packageName, 'package.json');
    if (existsSync(file))
      return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'not installed';
}

function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

export function describeMachine(packageNames: readonly string[], loadAtStart: number): Machine {
  const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const commit = run('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  const dirty = run('git', ['-C', ROOT, 'status', '--porcelain', '--', 'lib']) !== '';
  const redis = run('redis-server', ['--version']).match(/v=(\S+)/)?.[1] ?? 'unknown';
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    load: `${loadAtStart.toFixed(2)} at start, ${loadavg()[0].toFixed(2)} at end`,
    os: `${platform()} ${release()}`,
    node: process.version,
    redisServer: redis,
    library: `cache-aside ${own.version} (${commit}${dirty ? ', lib/ with uncommitted changes' : ''})`,
    packages: [...new Set(packageNames)].map((name) => ({ name, version: versionOf(name) })),
  };
}
