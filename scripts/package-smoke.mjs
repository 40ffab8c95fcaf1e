// After `npm run build`: the package as a user gets it. `npm pack` makes the tarball; its file
// list must hold only dist/, README.md, LICENSE, CHANGELOG.md and package.json; it is installed
// into a scratch project (with only the peers npm installs by itself), and every subpath of the
// "exports" map is loaded there from ESM (`import`) and from CommonJS (`require`). A subpath
// whose optional peer dependency is not installed is skipped with the reason printed; a second
// scratch project with every optional peer installed then loads every subpath.
//
//   node scripts/package-smoke.mjs            both projects
//   node scripts/package-smoke.mjs --minimal  only the first (no optional peers)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const ALLOWED_TOP = new Set(['dist', 'README.md', 'LICENSE', 'CHANGELOG.md', 'package.json']);
const REQUIRED = ['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json', 'dist/index.js'];

/** Names the root entry must expose (the contract's public surface). */
const ROOT_NAMES = [
  'CacheAsideManager',
  'CacheInterceptor',
  'Cacheable',
  'CacheableMany',
  'CacheEvict',
  'CachePut',
  'CacheTtl',
  'CacheConfig',
  'JsonSerializer',
  'ClassTransformerSerializer',
  'MsgpackSerializer',
  'CompressedSerializer',
  'CacheError',
  'CacheTypeError',
  'CacheRangeError',
];

const failures = [];
const fail = (message) => {
  failures.push(message);
  console.error(`package smoke: FAIL ${message}`);
};
const run = (cmd, args, cwd, input) =>
  execFileSync(cmd, args, {
    cwd,
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });

// ── the tarball ──────────────────────────────────────────────────────────────
if (!existsSync(join(root, 'dist', 'index.js'))) {
  console.error('package smoke: dist/ is missing; run npm run build first');
  process.exit(1);
}
const work = mkdtempSync(join(tmpdir(), 'cache-aside-smoke-'));
let tarball;
try {
  const [packed] = JSON.parse(run(npm, ['pack', '--json', '--pack-destination', work], root));
  tarball = join(work, packed.filename);
  const paths = packed.files.map((f) => f.path);
  const stray = paths.filter((p) => !ALLOWED_TOP.has(p.split('/')[0]));
  if (stray.length > 0)
    fail(`the tarball holds files outside ${[...ALLOWED_TOP].join(', ')}: ${stray.join(', ')}`);
  const absent = REQUIRED.filter((p) => !paths.includes(p));
  if (absent.length > 0) fail(`the tarball lacks ${absent.join(', ')}`);
  const maps = paths.filter((p) => p.endsWith('.map'));
  for (const map of maps.slice(0, 50)) {
    const parsed = JSON.parse(readFileSync(join(root, map), 'utf8'));
    if (
      !Array.isArray(parsed.sourcesContent) ||
      parsed.sourcesContent.length !== parsed.sources.length
    )
      fail(`${map} points at sources the package does not ship (no sourcesContent)`);
  }
  console.log(
    `package smoke: ${packed.filename}, ${packed.entryCount} files, ${(packed.size / 1024).toFixed(0)} KiB packed; only ${[...ALLOWED_TOP].join(', ')}`,
  );

  // ── the exports map ────────────────────────────────────────────────────────
  const subpaths = Object.keys(pkg.exports).filter(
    (subpath) => subpath !== './package.json' && !subpath.includes('*'),
  );
  for (const subpath of subpaths) {
    const entry = pkg.exports[subpath];
    const types = typeof entry === 'object' ? entry.types : undefined;
    if (types && !packed.files.some((f) => `./${f.path}` === types))
      fail(`exports["${subpath}"].types (${types}) is not in the tarball`);
  }
  const optionalPeers = Object.entries(pkg.peerDependenciesMeta ?? {})
    .filter(([, meta]) => meta.optional)
    .map(([name]) => name);

  smokeProject('no optional peers', [], subpaths, optionalPeers);
  if (!process.argv.includes('--minimal')) {
    const pinned = optionalPeers.map((name) => {
      const range = pkg.devDependencies?.[name] ?? pkg.peerDependencies[name];
      return `${name}@${range}`;
    });
    smokeProject('every optional peer', pinned, subpaths, optionalPeers);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.error(`package smoke: ${failures.length} failure(s)`);
  process.exit(1);
}
console.log('package smoke: OK');

// ── one scratch project ──────────────────────────────────────────────────────
function smokeProject(label, extras, subpaths, optionalPeers) {
  const dir = join(work, label.replace(/\W+/g, '-'));
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'scratch', version: '1.0.0', private: true }, null, 2),
  );
  const started = Date.now();
  let log;
  try {
    log = run(
      npm,
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--loglevel=warn',
        tarball,
        ...extras,
      ],
      dir,
    );
  } catch (error) {
    fail(`[${label}] npm install failed: ${String(error.stderr ?? error.message).slice(0, 2000)}`);
    return;
  }
  console.log(
    `package smoke: [${label}] installed in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (extras.length === 0 && /msgpackr-extract|install-scripts/.test(log))
    fail(`[${label}] installing the package alone ran or warned about native install scripts`);

  const installed = (name) =>
    existsSync(join(dir, 'node_modules', ...name.split('/'), 'package.json'));
  const loaded = [];
  for (const subpath of subpaths) {
    const specifier = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
    const outcomes = ['import', 'require'].map((how) => loadIn(dir, specifier, how));
    const missingPeer = outcomes
      .map((o) => o.missing)
      .find((name) => name && optionalPeers.includes(name) && !installed(name));
    if (missingPeer) {
      console.log(
        `package smoke: [${label}] skipped ${specifier}: its optional peer "${missingPeer}" is not installed here`,
      );
      continue;
    }
    for (const [how, outcome] of [
      ['import', outcomes[0]],
      ['require', outcomes[1]],
    ]) {
      if (outcome.error) fail(`[${label}] ${how} ${specifier}: ${outcome.error}`);
    }
    if (outcomes.some((o) => o.error)) continue;
    const [esm, cjs] = outcomes.map((o) => o.names);
    if (esm.length === 0) fail(`[${label}] ${specifier} exports nothing`);
    const onlyOne = esm.filter((n) => !cjs.includes(n)).concat(cjs.filter((n) => !esm.includes(n)));
    if (onlyOne.length > 0)
      fail(`[${label}] ${specifier}: import and require differ on ${onlyOne.join(', ')}`);
    if (subpath === '.') {
      const lacking = ROOT_NAMES.filter((n) => !esm.includes(n));
      if (lacking.length > 0) fail(`[${label}] ${specifier} lacks ${lacking.join(', ')}`);
    }
    console.log(
      `package smoke: [${label}] ${specifier}: import and require expose ${esm.length} names`,
    );
    loaded.push(specifier);
  }
  typesResolve(dir, label, loaded);
  rootBehaviour(dir, label, installed('msgpackr'), installed('ioredis'));
}

/**
 * Each loaded specifier's types resolve for a TypeScript user, under the two settings users
 * have: CommonJS with moduleResolution node10 (which ignores the exports map: a subpath needs
 * typesVersions or a folder of its own) and nodenext. The repository's TypeScript is used.
 */
function typesResolve(dir, label, specifiers) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const source = specifiers
    .map(
      (s, i) =>
        `import * as m${i} from ${JSON.stringify(s)};\nexport const k${i} = Object.keys(m${i});`,
    )
    .join('\n');
  for (const [mode, module, resolution, file] of [
    ['CommonJS/node10', 'commonjs', 'node10', 'types-cjs.ts'],
    ['nodenext', 'nodenext', 'nodenext', 'types-esm.mts'],
  ]) {
    writeFileSync(join(dir, file), `${source}\n`);
    const config = {
      compilerOptions: {
        module,
        moduleResolution: resolution,
        target: 'ES2022',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
      },
      files: [file],
    };
    writeFileSync(join(dir, `tsconfig.${file}.json`), JSON.stringify(config));
    try {
      run(process.execPath, [tsc, '-p', `tsconfig.${file}.json`, '--pretty', 'false'], dir);
      console.log(
        `package smoke: [${label}] types of ${specifiers.join(', ')} resolve under ${mode}`,
      );
    } catch (error) {
      fail(
        `[${label}] types under ${mode}: ${String(error.stdout || error.stderr || error.message)
          .split('\n')
          .slice(0, 6)
          .join(' | ')}`,
      );
    }
  }
}

/** Loads a specifier in a child process of the scratch project; returns its export names. */
function loadIn(dir, specifier, how) {
  const body =
    how === 'import'
      ? `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default' && k !== 'module.exports' && k !== '__esModule').sort()));`
      : `const m = require(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m).filter((k) => k !== '__esModule').sort()));`;
  try {
    const out = run(
      process.execPath,
      [how === 'import' ? '--input-type=module' : '--input-type=commonjs', '-e', body],
      dir,
    );
    return { names: JSON.parse(out.trim().split('\n').pop()) };
  } catch (error) {
    const stderr = String(error.stderr ?? error.message);
    const missing =
      /Cannot find (?:module|package) '([^']+)'/.exec(stderr)?.[1] ??
      /optional peer dependency "([^"]+)"/.exec(stderr)?.[1];
    const peer =
      missing && missing.startsWith('@')
        ? missing.split('/').slice(0, 2).join('/')
        : missing?.split('/')[0];
    return { error: stderr.split('\n').filter(Boolean).slice(0, 6).join(' | '), missing: peer };
  }
}

/**
 * The root entry does its job from both module systems: a read through a client whose Redis is
 * unreachable is served by the loader (fail-open), a JSON round trip keeps a Date, and
 * MsgpackSerializer works with msgpackr installed, or names it when it is not.
 */
function rootBehaviour(dir, label, hasMsgpackr, hasIoredis) {
  // With ioredis installed: a fail-open read against a port nobody listens on. Without any client
  // package (every client is an optional peer): a miss then a hit on the embedded MemoryStore.
  const read = hasIoredis
    ? `
    const { Redis } = lib.ioredis;
    const redis = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    redis.on('error', () => {});
    const cache = new lib.CacheAsideManager({ redis, keyPrefix: 'smoke:', operationTimeoutMs: 100 });
    cache.on('error', () => {});
    const value = await cache.get('k', () => 42);
    if (value !== 42) throw new Error('fail-open read returned ' + value);
    await cache.close();
    redis.disconnect();`
    : `
    const cache = new lib.CacheAsideManager({ redis: new lib.MemoryStore(), keyPrefix: 'smoke:' });
    let loads = 0;
    await cache.get('k', () => ++loads);
    await cache.settle();
    const value = await cache.get('k', () => ++loads);
    if (value !== 1 || loads !== 1) throw new Error('memory-store read returned ' + value);
    await cache.close();`;
  const script = (load) => `
    ${load}
    ${read}
    const json = new lib.JsonSerializer();
    const back = json.deserialize(Buffer.from(json.serialize({ at: new Date(0) })));
    if (!(back.at instanceof Date)) throw new Error('a Date did not come back as a Date');
    let msgpack;
    try { msgpack = new lib.MsgpackSerializer(); } catch (error) { msgpack = error; }
    if (${hasMsgpackr}) {
      if (msgpack instanceof Error) throw msgpack;
      if (msgpack.deserialize(msgpack.serialize([1n]))[0] !== 1n) throw new Error('msgpack round trip');
    } else if (msgpack.code !== 'ERR_CACHE_ASIDE_MISSING_PEER' || !/npm install msgpackr/.test(msgpack.message)) {
      throw new Error('MsgpackSerializer without msgpackr: ' + msgpack);
    }
    console.log('ok');`;
  const esm = hasIoredis
    ? `const lib = { ...(await import('cache-aside')), ioredis: await import('ioredis') };`
    : `const lib = await import('cache-aside');`;
  const cjs = hasIoredis
    ? `const lib = { ...require('cache-aside'), ioredis: require('ioredis') };`
    : `const lib = require('cache-aside');`;
  for (const [how, source] of [
    ['import', esm],
    [
      'require',
      `(async () => {${script(cjs)}})().catch((e) => { console.error(e); process.exit(1); });`,
    ],
  ]) {
    try {
      const code = how === 'import' ? script(source) : source;
      run(
        process.execPath,
        [how === 'import' ? '--input-type=module' : '--input-type=commonjs', '-e', code],
        dir,
      );
      console.log(
        `package smoke: [${label}] ${how}: ${hasIoredis ? 'fail-open read' : 'memory-store read'}, JSON Dates, MsgpackSerializer ${hasMsgpackr ? 'round trip' : 'names its missing peer'}`,
      );
    } catch (error) {
      fail(
        `[${label}] ${how} behaviour: ${String(error.stderr ?? error.message)
          .split('\n')
          .slice(0, 6)
          .join(' | ')}`,
      );
    }
  }
}
