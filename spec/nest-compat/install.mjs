// Installs Nest 12 into spec/nest-compat/node_modules (the repository's devDependencies hold
// Nest 11), unless a Nest 12 is already there. Run by .ci/run and by the Nest 12 e2e spec.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const core = join(here, 'node_modules', '@nestjs', 'core', 'package.json');
const installed = existsSync(core) ? JSON.parse(readFileSync(core, 'utf8')).version : undefined;
if (installed?.startsWith('12.')) {
  console.log(`Nest ${installed} already in spec/nest-compat`);
} else {
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--package-lock=false'], {
    cwd: here,
    stdio: 'inherit',
  });
}
