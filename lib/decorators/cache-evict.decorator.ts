import { CacheTypeError } from '../errors/cache-type-error';
import { describe } from '../errors/invalid-argument';
import { compileKey } from '../metadata/key-template';
import type {
  CacheEvictMetadata,
  CacheEvictOptions,
  KeyOption,
  KeyPlan,
} from '../metadata/cache-metadata';
import {
  booleanOption,
  managerName,
  optionalFunction,
  optionsObject,
  tagsOption,
} from './decorator-options';
import { type CacheMethodDecorator, createMethodDecorator } from './method-decorator';

const OPTIONS: readonly (keyof CacheEvictOptions)[] = [
  'key',
  'keys',
  'pattern',
  'tags',
  'allEntries',
  'beforeInvocation',
  'condition',
  'manager',
];

/**
 * Removes entries when the method runs: after it succeeds by default (and not at all if it
 * throws), or before it runs with `beforeInvocation: true`. Targets combine: `key`, `keys`,
 * `pattern` (a glob relative to the namespace; values put into it are glob-escaped), `tags`,
 * and `allEntries` (the class's namespace); at least one of them (refused at decoration without).
 * The decorator may be repeated on a method.
 *
 * ```ts
 * @CacheEvict({ key: 'user:{0}' })
 * async update(id: number, patch: Partial<User>): Promise<void> { ... }
 * ```
 */
export function CacheEvict(options?: CacheEvictOptions): CacheMethodDecorator {
  const opts = optionsObject<CacheEvictOptions>('@CacheEvict', options, OPTIONS);
  const keys: KeyPlan[] = [];
  if (opts.key !== undefined) keys.push(compileKey(opts.key, '@CacheEvict() key'));
  let keysFunction: CacheEvictMetadata['keysFunction'];
  if (typeof opts.keys === 'function') {
    keysFunction = opts.keys;
  } else if (opts.keys !== undefined) {
    if (!Array.isArray(opts.keys) || opts.keys.length === 0) {
      throw new CacheTypeError(
        'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
        `@CacheEvict() keys must be a non-empty array of templates and key functions, or a ` +
          `function returning the keys, got ${describe(opts.keys)}.`,
      );
    }
    (opts.keys as readonly KeyOption[]).forEach((k, i) =>
      keys.push(compileKey(k, `@CacheEvict() keys[${i}]`)),
    );
  }
  const pattern =
    opts.pattern === undefined ? undefined : compileKey(opts.pattern, '@CacheEvict() pattern');
  const tags = tagsOption(opts.tags, '@CacheEvict() tags');
  const allEntries = booleanOption(opts.allEntries, '@CacheEvict() allEntries');
  // Without a target, an eviction would remove only the evicting method's own default key,
  // which no read ever uses: refused, so that an update method does not leave stale reads.
  if (keys.length === 0 && !keysFunction && !pattern && !tags && !allEntries) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      '@CacheEvict() needs a target: give it key, keys, pattern, tags or allEntries (e.g. ' +
        "@CacheEvict({ key: 'user:{0}' }) to remove what @Cacheable({ key: 'user:{0}' }) stored).",
    );
  }

  const meta: CacheEvictMetadata = Object.freeze({
    keys: Object.freeze(keys),
    keysFunction,
    pattern,
    tags,
    allEntries,
    beforeInvocation: booleanOption(opts.beforeInvocation, '@CacheEvict() beforeInvocation'),
    condition: optionalFunction<CacheEvictMetadata['condition']>(
      opts.condition,
      '@CacheEvict() condition',
    ),
    manager: managerName(opts.manager, '@CacheEvict() manager'),
  });
  return createMethodDecorator('@CacheEvict', (record) => {
    record.addEvict(meta);
  });
}
