/**
 * Makes the bench measure the library as the package ships it: every module of `lib/` that a
 * bench script imports is loaded from its build in `dist/` (tsc's output) instead of tsx's
 * transform of the TypeScript source. tsx compiles with esbuild's `keepNames`, which wraps named
 * closures in a helper call as they are created: that costs the library's hit path ~6% and
 * nothing of the raw clients' loops, so measuring the sources understated the package.
 *
 * Imported first by every bench entry point (before anything that imports the library). The
 * build is made, or remade when a source under `lib/` is newer than it, before any import.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import Module from 'node:module';
import { join, sep } from 'node:path';

const REPO_ROOT = join(__dirname, '..', '..');
const SOURCES = join(REPO_ROOT, 'lib');
const BUILD = join(REPO_ROOT, 'dist');
/** Written by every build (the build empties `dist/` first): its age is the build's. */
const BUILD_STAMP = join(BUILD, 'index.js');

/** The newest modification time of a TypeScript source under `lib/`. */
function newestSource(): number {
  let newest = 0;
  for (const name of readdirSync(SOURCES, { recursive: true, encoding: 'utf8' })) {
    if (name.endsWith('.ts')) newest = Math.max(newest, statSync(join(SOURCES, name)).mtimeMs);
  }
  return newest;
}

/** Runs `npm run build` unless `dist/` is at least as new as every source. */
function ensureFreshBuild(): void {
  if (existsSync(BUILD_STAMP) && statSync(BUILD_STAMP).mtimeMs >= newestSource()) return;
  process.stderr.write('[bench] building the library (npm run build): the bench measures dist/\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 2, 2] });
  if (result.status !== 0)
    throw new Error(`npm run build failed (exit ${result.status ?? result.signal})`);
}

type ResolveFilename = (
  request: string,
  parent: unknown,
  isMain: boolean,
  options?: unknown,
) => string;
/** Node's CommonJS resolver: not in its public typings, stable since Node's first releases. */
const resolver = Module as unknown as { _resolveFilename: ResolveFilename };

/** `lib/x/y.ts` → `dist/x/y.js`; anything else unchanged. */
function builtPathOf(resolved: string): string {
  if (!resolved.startsWith(SOURCES + sep) || !resolved.endsWith('.ts')) return resolved;
  return join(BUILD, resolved.slice(SOURCES.length + 1, -'.ts'.length) + '.js');
}

/**
 * Set by the process that checked the build, for the bench's child processes (they inherit the
 * environment): they load that build as it is, rather than each rebuilding it at once (a build
 * empties `dist/` first, under the parent and the other children).
 */
const CHECKED = 'CACHE_ASIDE_BENCH_BUILD_CHECKED';

const redirected = Symbol.for('cache-aside.bench.built-library');
const state = globalThis as { [redirected]?: true };
if (state[redirected] === undefined) {
  state[redirected] = true;
  if (process.env[CHECKED] !== '1') {
    ensureFreshBuild();
    process.env[CHECKED] = '1';
  }
  const resolve = resolver._resolveFilename;
  resolver._resolveFilename = function (this: unknown, request, parent, isMain, options) {
    return builtPathOf(resolve.call(this, request, parent, isMain, options));
  };
}

/**
 * Throws if a module of `lib/` was loaded from its source after all (an import that bypassed the
 * redirect, such as one resolved by an ES module loader): the numbers would not be the package's.
 */
export function assertBuiltLibrary(): void {
  const fromSource = Object.keys(require.cache).filter((path) => path.startsWith(SOURCES + sep));
  if (fromSource.length > 0)
    throw new Error(
      `[bench] ${fromSource.length} module(s) of lib/ were loaded from source instead of dist/, e.g. ${fromSource[0]}`,
    );
  if (!Object.keys(require.cache).some((path) => path.startsWith(BUILD + sep)))
    throw new Error('[bench] the library was not loaded from dist/');
}
