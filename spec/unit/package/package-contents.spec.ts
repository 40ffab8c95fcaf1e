import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');

interface PackEntry {
  files: Array<{ path: string }>;
}

/** What `npm pack` would put in the tarball (nothing is written: --dry-run). */
function packedPaths(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [entry] = JSON.parse(out) as PackEntry[];
  return entry.files.map((f) => f.path);
}

describe('the published package', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<
    string,
    unknown
  > & {
    files: string[];
    dependencies?: Record<string, string>;
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional?: boolean }>;
    repository: { url: string };
  };

  it('holds only dist/, README.md, LICENSE, CHANGELOG.md and package.json', () => {
    const paths = packedPaths();
    const outside = paths.filter(
      (p) =>
        !p.startsWith('dist/') &&
        !['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json'].includes(p),
    );
    expect(outside).toEqual([]);
    expect(paths).toEqual(
      expect.arrayContaining(['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json']),
    );
  });

  it('says where it comes from, its licence, its Node range and that importing it has no side effects', () => {
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect(pkg.repository.url).toContain('github.com/cache-aside/cache-aside');
    expect(pkg.engines).toEqual({ node: expect.stringMatching(/^>=\d+/) as unknown });
    expect(pkg.sideEffects).toBe(false);
    expect(readFileSync(join(root, 'CHANGELOG.md'), 'utf8')).toMatch(
      /## \[Unreleased\][\s\S]*## \[0\.1\.0\]/,
    );
  });

  it('installs no client or codec package by itself: those are optional peers', () => {
    expect(Object.keys(pkg.dependencies ?? {})).not.toContain('msgpackr');
    expect(pkg.peerDependencies.msgpackr).toBeDefined();
    expect(pkg.peerDependenciesMeta.msgpackr).toEqual({ optional: true });
  });
});
