import { describe } from '../errors/invalid-argument';
import type { GetOptions } from '../manager/cache-aside.options';
import type { CacheableManyMetadata } from '../metadata/cache-metadata';
import { isKeyed, keyedPositions, type KeyedPositions } from '../metadata/key-template';
import { CacheTypeError } from '../errors/cache-type-error';
import { PreparedRead, type ReadSite, type ReadStep } from './cached-read';

type GetMany = NonNullable<ReadSite['manager']['getMany']>;

/**
 * `@CacheableMany`: one `manager.getMany` over the items' keys; on a miss, the method runs once
 * with only the missing ids — deduplicated, in their original order — and each item is stored
 * under its own key. The answer has one item per id, in the order given.
 *
 * An item's arguments are the call's with the id in place of the list: its key is built from
 * them, so `'user:{0}'` reads the id when the ids are the first argument.
 */
export class CachedBatchRead extends PreparedRead implements ReadStep {
  private readonly getMany: GetMany;
  private readonly idsIndex: number;
  private readonly keyed: KeyedPositions;
  private readonly where: string;

  constructor(site: ReadSite, op: CacheableManyMetadata, managerName: string) {
    super(site, op, '@CacheableMany');
    this.where = `@CacheableMany on ${site.record.describe()}`;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- kept detached on purpose: always called as getMany.call(this.manager, …)
    const getMany = site.manager.getMany;
    if (typeof getMany !== 'function') {
      throw new CacheTypeError(
        'ERR_CACHE_ASIDE_NO_MANAGER',
        `${this.where} reads through getMany(), which the cache manager "${managerName}" ` +
          'does not have: register a CacheAsideManager (or a manager with getMany) under that name.',
      );
    }
    this.getMany = getMany;
    this.idsIndex = op.idsIndex;
    this.keyed = keyedPositions(op.key);
  }

  run(thisArg: unknown, args: unknown[]): Promise<unknown> {
    const original = this.original;
    if (this.condition !== undefined && !this.passes(thisArg, args))
      return Promise.resolve(original.apply(thisArg, args));
    const idsIndex = this.idsIndex;
    const given = args[idsIndex];
    if (!Array.isArray(given)) {
      throw new CacheTypeError(
        'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
        `${this.where}: argument ${idsIndex} must be the array of ids, got ${describe(given)}.`,
      );
    }
    this.assertEveryArgumentKeyed(args);
    if (given.length === 0) return Promise.resolve([]);
    // A snapshot, so that a caller changing its array meanwhile cannot pair ids with other keys.
    const ids: unknown[] = given.slice();

    const keys = new Array<string>(ids.length);
    const firstIndexOf = new Map<string, number>();
    const itemArgs = args.slice();
    for (let i = 0; i < ids.length; i++) {
      itemArgs[idsIndex] = ids[i];
      const key = this.keyOf(thisArg, itemArgs);
      keys[i] = key;
      if (!firstIndexOf.has(key)) firstIndexOf.set(key, i);
    }
    const opts: GetOptions = this.shared ?? this.optionsFor(thisArg, args);
    const where = this.where;
    return this.getMany.call(
      this.manager,
      keys,
      async (missing: string[]) => {
        const callArgs = args.slice();
        // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- `missing` is a subset of `keys`, each indexed in firstIndexOf
        callArgs[idsIndex] = missing.map((key) => ids[firstIndexOf.get(key)!]);
        const items: unknown = await original.apply(thisArg, callArgs);
        if (!Array.isArray(items)) {
          throw new CacheTypeError(
            'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
            `${where}: the method returned ${describe(items)}; it must return an array with one ` +
              'item per id it was given, in the same order (null for "not found").',
          );
        }
        const list: unknown[] = items;
        return list;
      },
      opts,
    );
  }

  /**
   * An argument that is not part of the items' keys would let calls differing in it share
   * entries. Declared parameters are checked when the class is defined; this catches the ones a
   * rest or defaulted parameter hides. `undefined` is the same as leaving an argument out.
   */
  private assertEveryArgumentKeyed(args: unknown[]): void {
    const keyed = this.keyed;
    if (keyed === undefined) return;
    for (let i = 0; i < args.length; i++) {
      if (i === this.idsIndex || args[i] === undefined || isKeyed(keyed, i)) continue;
      throw new CacheTypeError(
        'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
        `${this.where}: argument ${i} is not part of the items' keys, so calls differing in it ` +
          `would share entries; put {${i}} in the key template, or give the key function a parameter for it.`,
      );
    }
  }
}
