// Installs Nest 12 into spec/nest-compat/node_modules (the repository's devDependencies hold
// Nest 11), unless every dependency of package.json is already there, each @nestjs package at
// major 12. Run by .ci/run and by the NestJS e2e spec (spec/integration/nestjs/nest-majors.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { dependencies } = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
const installedVersion = (name) => {
  const file = join(here, 'node_modules', name, 'package.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : undefined;
};
const missing = Object.keys(dependencies).filter((name) => {
  const version = installedVersion(name);
  return version === undefined || (name.startsWith('@nestjs/') && !version.startsWith('12.'));
});
if (missing.length === 0) {
  console.log(`Nest ${installedVersion('@nestjs/core')} already in spec/nest-compat`);
} else {
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--package-lock=false'], {
    cwd: here,
    stdio: 'inherit',
  });
}
