import { CacheTypeError } from '../errors/cache-type-error';
import { describe } from '../errors/invalid-argument';
import { isKeyed, keyedPositions, templateIndexes } from '../metadata/key-template';
import type { CacheableManyMetadata, CacheableManyOptions } from '../metadata/cache-metadata';
import type { MethodRecord } from '../metadata/method-record';
import { optionsObject, storeMetadata } from './decorator-options';
import { type CacheMethodDecorator, createMethodDecorator } from './method-decorator';

const OPTIONS: readonly (keyof CacheableManyOptions)[] = [
  'key',
  'ids',
  'ttl',
  'condition',
  'unless',
  'serializer',
  'type',
  'tags',
  'manager',
  'nullTtl',
];

/**
 * The batch form of `@Cacheable`, for methods that take an array of ids and return one item per
 * id in the same order (`findByIds(ids: number[]): Promise<User[]>`). A call reads every id's
 * entry in one round trip (`manager.getMany`); the method runs once, with only the missing ids
 * (deduplicated, in their original order), and each item it returns is cached under its own
 * key — `null` items too, as values. The call answers with one item per id, in the order given.
 *
 * Each item's key is built from the item's arguments: the call's arguments with the id in place
 * of the list. With `ids: 1`, `findByIds(tenant, ids)` keys its items from `(tenant, id)`. Every
 * other declared parameter must appear in the key (checked when the class is defined; an
 * undeclared extra argument is refused at call time), so that two calls differing in it never
 * share entries. The other arguments reach the method unchanged.
 *
 * ```ts
 * @CacheableMany({ key: (id: number) => `user:${id}` })   // or key: 'user:{0}'
 * async findByIds(ids: number[]): Promise<Array<User | null>> { ... }
 * ```
 *
 * A method that returns a different number of items than ids it was given rejects the call with
 * `BatchSizeMismatchError`, and nothing of that batch is stored.
 */
export function CacheableMany(options?: CacheableManyOptions): CacheMethodDecorator {
  const opts = optionsObject<CacheableManyOptions>('@CacheableMany', options, OPTIONS);
  const idsIndex: unknown = opts.ids === undefined ? 0 : opts.ids;
  if (typeof idsIndex !== 'number' || !Number.isInteger(idsIndex) || idsIndex < 0) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      `@CacheableMany() ids must be the position of the argument holding the ids (0 for the ` +
        `first), got ${describe(opts.ids)}.`,
    );
  }
  const meta: CacheableManyMetadata = Object.freeze({
    ...storeMetadata('@CacheableMany', opts),
    idsIndex,
  });
  if (meta.key.kind === 'template' && !templateIndexes(meta.key).has(idsIndex)) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      `@CacheableMany() key "${meta.key.source}" does not contain the id ({${idsIndex}}), so every ` +
        `id would share one entry; put {${idsIndex}} (or a property of it, {${idsIndex}.id}) in the key.`,
    );
  }
  if (meta.key.kind === 'function' && meta.key.fn.length <= idsIndex) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
      `@CacheableMany() key function declares ${meta.key.fn.length} parameters, so it never sees ` +
        `the id (argument ${idsIndex}) and every id would share one entry; declare a parameter for every ` +
        'argument up to the id, e.g. key: (id) => `user:${id}`.',
    );
  }
  return createMethodDecorator('@CacheableMany', (record) => {
    assertKeyCoversParameters(meta, record);
    record.setMany(meta);
  });
}

/**
 * Every declared parameter of the method other than the ids must be part of the key: otherwise
 * `findByIds([1], { withDeleted: true })` and `findByIds([1])` would share the entry of user 1.
 */
function assertKeyCoversParameters(meta: CacheableManyMetadata, record: MethodRecord): void {
  const declared = record.original.length;
  const keyed = keyedPositions(meta.key);
  if (keyed === undefined) return;
  const uncovered: number[] = [];
  for (let i = 0; i < declared; i++) {
    if (i !== meta.idsIndex && !isKeyed(keyed, i)) uncovered.push(i);
  }
  if (uncovered.length === 0) return;
  const what =
    meta.key.kind === 'template'
      ? `the key "${meta.key.source}"`
      : `the key function (${typeof keyed === 'number' ? keyed : keyed.size} parameters)`;
  throw new CacheTypeError(
    'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
    `@CacheableMany() on ${record.describe()}: the method declares ${declared} parameters, and ` +
      `${what} leaves out argument ${uncovered.join(', ')}; calls differing only there would share entries. ` +
      `Put ${uncovered.map((i) => `{${i}}`).join(', ')} in the template, or give the key function a parameter ` +
      'for every argument of the method (it receives the id in place of the list).',
  );
}
