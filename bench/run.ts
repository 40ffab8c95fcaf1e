/**
 * `npm run bench`: cache-aside against raw ioredis and its peers, on a redis-server of its own.
 *
 * The peers are this folder's own dependencies (bench/package.json), so the library's stay lean.
 * On a clean clone they are installed here first; only then is the bench loaded, so that every
 * bench module resolves ioredis and the peers from bench/node_modules.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function missingDependencies(): string[] {
  const manifest = JSON.parse(readFileSync(join(__dirname, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  return Object.keys(manifest.dependencies).filter(
    (name) => !existsSync(join(__dirname, 'node_modules', name, 'package.json')),
  );
}

function ensureDependencies(): void {
  const missing = missingDependencies();
  if (missing.length === 0) return;
  process.stderr.write(
    `[bench] installing the bench's own dependencies (${missing.join(', ')}): npm --prefix bench install --no-audit --no-fund\n`,
  );
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['--prefix', __dirname, 'install', '--no-audit', '--no-fund'], {
    stdio: 'inherit',
  });
  if (result.status !== 0)
    throw new Error(`npm --prefix bench install failed (exit ${result.status ?? result.signal})`);
}

ensureDependencies();
import('./main')
  .then(({ main }) => main(process.argv.slice(2)))
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
