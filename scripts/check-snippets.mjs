// Every ```ts block of README.md and docs/*.md compiles, as a module of a user's project that
// installed this package: once as CommonJS (module commonjs, moduleResolution node10: the
// default of a NestJS or plain tsc project) and once as ESM under module/moduleResolution
// nodenext. `cache-aside` resolves to the built package (run `npm run build` first) through a
// node_modules link, so the check sees what users see: the exports map and dist/*.d.ts.
//
// A block is skipped only
// - when the line before it is `<!-- snippet:skip <reason> -->` (a fragment, or another
//   library's code), the reason printed;
// - when it imports a subpath of this package that the exports map does not have yet, or an
//   optional peer dependency that is not installed here, the reason printed.
//
//   node scripts/check-snippets.mjs [files...]
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const work = join(root, '.snippets');
const require = createRequire(join(root, 'package.json'));

const files =
  process.argv.length > 2
    ? process.argv.slice(2).map((f) => resolve(f))
    : [
        join(root, 'README.md'),
        ...readdirSync(join(root, 'docs'))
          .filter((f) => f.endsWith('.md'))
          .sort()
          .map((f) => join(root, 'docs', f)),
      ];

if (!existsSync(join(root, 'dist', 'index.d.ts'))) {
  console.error('check-snippets: dist/ is missing; run npm run build first');
  process.exit(1);
}

/** Every ```ts block: its file, the line of its first code line, its text, and a skip reason. */
function extract(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i])) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    let before = i - 1;
    while (before >= 0 && lines[before].trim() === '') before--;
    const marker =
      before >= 0 ? /^<!--\s*snippet:skip\s+(.+?)\s*-->$/.exec(lines[before].trim()) : null;
    if (before >= 0 && /snippet:skip/.test(lines[before]) && !marker)
      throw new Error(`${relative(root, file)}:${before + 1}: snippet:skip needs a reason`);
    blocks.push({
      file,
      line: start + 1,
      code: lines.slice(start, end).join('\n'),
      skip: marker?.[1],
    });
    i = end;
  }
  return blocks;
}

const optionalPeers = new Set(Object.keys(pkg.peerDependencies ?? {}));
const exported = new Set(Object.keys(pkg.exports));

/** Why a block cannot be compiled in this checkout, or undefined. */
function unavailable(code) {
  for (const [, specifier] of code.matchAll(/(?:from|import)\s+'([^']+)'/g)) {
    if (specifier.startsWith('node:') || specifier.startsWith('.')) continue;
    if (specifier === pkg.name || specifier.startsWith(`${pkg.name}/`)) {
      const subpath = specifier === pkg.name ? '.' : `./${specifier.slice(pkg.name.length + 1)}`;
      if (!exported.has(subpath))
        return `imports ${specifier}, which this build's exports map does not have`;
      continue;
    }
    const name = specifier.startsWith('@')
      ? specifier.split('/').slice(0, 2).join('/')
      : specifier.split('/')[0];
    try {
      require.resolve(`${name}/package.json`);
    } catch {
      try {
        require.resolve(name);
      } catch {
        if (optionalPeers.has(name)) return `imports the optional peer ${name}, not installed here`;
        // Anything else must be installable: a typo or an undeclared dependency is an error.
      }
    }
  }
  return undefined;
}

const blocks = files.flatMap(extract);
rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, 'cjs'), { recursive: true });
mkdirSync(join(work, 'esm'), { recursive: true });
mkdirSync(join(work, 'node_modules'), { recursive: true });
symlinkSync(root, join(work, 'node_modules', pkg.name), 'dir');
writeFileSync(join(work, 'esm', 'package.json'), JSON.stringify({ type: 'module' }));

const sources = new Map(); // generated file name -> block
let skipped = 0;
for (const block of blocks) {
  const where = `${relative(root, block.file)}:${block.line}`;
  const reason = block.skip ?? unavailable(block.code);
  if (reason) {
    skipped++;
    console.log(`check-snippets: skipped ${where}: ${reason}`);
    continue;
  }
  const base = `${relative(root, block.file).replace(/[^A-Za-z0-9]+/g, '_')}_${block.line}`;
  // `export {}` keeps a block without imports a module, as every snippet is meant to be.
  const code = `${block.code}\nexport {};\n`;
  writeFileSync(join(work, 'cjs', `${base}.ts`), code);
  writeFileSync(join(work, 'esm', `${base}.mts`), code);
  sources.set(base, block);
}

const common = {
  target: 'ES2022',
  lib: ['ES2022'],
  types: ['node'],
  typeRoots: [join(root, 'node_modules', '@types')],
  strict: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  skipLibCheck: true,
  noEmit: true,
  esModuleInterop: true,
};
const modes = [
  [
    'CommonJS (module commonjs, moduleResolution node10)',
    'cjs',
    { module: 'commonjs', moduleResolution: 'node10' },
  ],
  [
    'ESM (module/moduleResolution nodenext)',
    'esm',
    { module: 'nodenext', moduleResolution: 'nodenext' },
  ],
];

let failed = false;
for (const [label, dir, options] of modes) {
  const config = join(work, `tsconfig.${dir}.json`);
  writeFileSync(
    config,
    JSON.stringify(
      { compilerOptions: { ...common, ...options }, include: [`${dir}/**/*`] },
      null,
      2,
    ),
  );
  const tsc = spawnSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', config, '--pretty', 'false'],
    {
      cwd: work,
      encoding: 'utf8',
    },
  );
  const output = `${tsc.stdout}${tsc.stderr}`.trim();
  if (tsc.status === 0) {
    console.log(`check-snippets: ${sources.size} snippets compile as ${label}`);
    continue;
  }
  failed = true;
  // Map "cjs/README_md_31.ts(5,3): error TS…" back to README.md, line 31 + 4.
  for (const line of output.split('\n')) {
    const match = /^(?:cjs|esm)\/([^.]+)\.m?ts\((\d+),(\d+)\): (.*)$/.exec(line.trim());
    const block = match && sources.get(match[1]);
    if (block)
      console.error(
        `${relative(root, block.file)}:${block.line + Number(match[2]) - 1}:${match[3]} [${dir}] ${match[4]}`,
      );
    else console.error(line);
  }
}
console.log(`check-snippets: ${blocks.length} blocks in ${files.length} files, ${skipped} skipped`);
if (failed) process.exit(1);
rmSync(work, { recursive: true, force: true });
