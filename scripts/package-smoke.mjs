// After `npm run build`: the built package loads from ESM and from CommonJS, through its
// package.json "exports", with the public names the contract promises.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const expected = [
  'CacheAsideManager',
  'CacheInterceptor',
  'Cacheable',
  'CacheEvict',
  'CachePut',
  'CacheTtl',
  'CacheConfig',
  'JsonSerializer',
  'ClassTransformerSerializer',
  'MsgpackSerializer',
  'CompressedSerializer',
  'CacheError',
];

const esm = await import('cache-aside');
const cjs = require('cache-aside');
for (const [kind, mod] of [
  ['ESM', esm],
  ['CommonJS', cjs],
]) {
  const missing = expected.filter((name) => typeof mod[name] !== 'function');
  if (missing.length > 0) {
    console.error(`${kind} import of cache-aside lacks: ${missing.join(', ')}`);
    process.exit(1);
  }
}
console.log(`package smoke: ESM and CommonJS imports expose ${expected.length} public names`);

// cache-aside/otel: its own subpath, loaded only when imported (the root never loads OpenTelemetry).
const loadedOtelEarly = Object.keys(require.cache).some((path) => path.includes('@opentelemetry'));
if (loadedOtelEarly) {
  console.error(
    'importing cache-aside loaded @opentelemetry: it must load only with cache-aside/otel',
  );
  process.exit(1);
}
const otelEsm = await import('cache-aside/otel');
const otelCjs = require('cache-aside/otel');
for (const [kind, mod] of [
  ['ESM', otelEsm],
  ['CommonJS', otelCjs],
]) {
  if (typeof mod.enableOpenTelemetry !== 'function') {
    console.error(`${kind} import of cache-aside/otel lacks enableOpenTelemetry`);
    process.exit(1);
  }
}
if (cjs.CACHE_CHANNEL_NAMES?.get !== 'cache-aside:get') {
  console.error('cache-aside lacks CACHE_CHANNEL_NAMES');
  process.exit(1);
}
console.log('package smoke: cache-aside/otel loads from ESM and CommonJS, and only when imported');
