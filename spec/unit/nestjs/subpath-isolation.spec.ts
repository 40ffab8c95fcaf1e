import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

/** The files under node_modules/@nestjs that `node` loaded while requiring `entry`. */
function nestFilesLoadedBy(entry: string): string[] {
  const script =
    `require(${JSON.stringify(entry)});` +
    `const loaded = Object.keys(require.cache).filter((f) => f.includes('node_modules/@nestjs/'));` +
    `process.stdout.write(JSON.stringify(loaded));`;
  const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return JSON.parse(out) as string[];
}

describe('the cache-aside/nestjs subpath', () => {
  it('is not loaded, nor is Nest, by importing cache-aside alone', () => {
    expect(nestFilesLoadedBy('./lib')).toEqual([]);
  });

  it('loads @nestjs/common and @nestjs/core when imported (so the check above can fail)', () => {
    const loaded = nestFilesLoadedBy('./lib/nestjs');
    expect(loaded.some((f) => f.includes('@nestjs/common'))).toBe(true);
    expect(loaded.some((f) => f.includes('@nestjs/core'))).toBe(true);
  });
});
