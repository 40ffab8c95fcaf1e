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
