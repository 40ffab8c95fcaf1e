import type { SetOptions } from '../manager/cache-aside.options';
import type {
  CacheConfigMetadata,
  CacheEvictMetadata,
  CachePutMetadata,
  StoreMetadata,
  TagsOption,
  TtlSpec,
} from '../metadata/cache-metadata';
import { conditionOf, ttlOf } from '../metadata/metadata-reader';
import type { MethodRecord } from '../metadata/method-record';
import { checkedStrings, tagsFor } from './call-results';
import { buildKey, buildPattern, escapeGlob, type KeyContext, withNamespace } from './cache-key';
import type { CacheManagerPort } from './manager-port';

/**
 * One call of a decorated method that writes or evicts (reads are prepared once per method, in
 * `cached-read.ts`): which instance and arguments, the class settings in force, the method's
 * identity (`Class.method`), and the `@CachePut` / `@CacheEvict` operations around it.
 */
export class MethodCall {
  constructor(
    readonly record: MethodRecord,
    readonly thisArg: unknown,
    readonly args: unknown[],
    readonly config: CacheConfigMetadata,
    /** `Class.method`: the head of default keys, and the statistics label. */
    readonly identity: string,
  ) {}

  /** The method itself, with its own `this` and arguments. */
  invoke(): Promise<unknown> | unknown {
    return this.record.original.apply(this.thisArg, this.args);
  }

  /**
   * `@CachePut`: the method always runs, and its result is written. A result kept out of the
   * cache (`unless`, a TTL of 0 or less) removes the entry instead, so that an older value is not
   * served in place of the newer one.
   */
  async put(op: CachePutMetadata, manager: CacheManagerPort): Promise<unknown> {
    const passes = this.passes(op);
    const result = await this.invoke();
    if (!passes) return result;
    const key = this.key(op, '@CachePut');
    const ttl = this.ttlForPut(op, result);
    if (ttl !== undefined && !(ttl > 0)) {
      await manager.invalidate(key);
      return result;
    }
    const opts: SetOptions = {};
    if (ttl !== undefined) opts.ttl = ttl;
    if (op.serializer) opts.serializer = op.serializer;
    const tags = this.tags(op.tags, '@CachePut');
    if (tags) opts.tags = tags;
    await manager.set(key, result, opts);
    return result;
  }

  /** `@CacheEvict`: every target it names, in parallel. */
  async evict(op: CacheEvictMetadata, manager: CacheManagerPort): Promise<void> {
    if (!this.passes(op)) return;
    const namespace = this.config.namespace;
    const ctx = this.keyContext('@CacheEvict key');
    const keys = op.keys.map((plan) => withNamespace(namespace, buildKey(plan, ctx)));
    if (op.keysFunction) {
      const computed: unknown = op.keysFunction.apply(this.thisArg, this.args);
      keys.push(
        ...this.strings(computed, '@CacheEvict keys').map((k) => withNamespace(namespace, k)),
      );
    }
    const work: Array<Promise<number>> = [];
    if (keys.length > 0) work.push(manager.invalidate(keys));
    if (op.pattern) {
      const pattern = buildPattern(op.pattern, this.keyContext('@CacheEvict pattern'));
      work.push(
        manager.invalidatePattern(withNamespace(namespace && escapeGlob(namespace), pattern)),
      );
    }
    const tags = this.tags(op.tags, '@CacheEvict');
    if (tags) work.push(manager.invalidateTags(tags));
    if (op.allEntries)
      work.push(
        manager.invalidatePattern(`${escapeGlob(requireNamespace(this.config, this.record))}:*`),
      );
    await Promise.all(work);
  }

  private passes(op: StoreMetadata | CacheEvictMetadata): boolean {
    const condition = conditionOf(op, this.config);
    return condition === undefined || condition.apply(this.thisArg, this.args);
  }

  private key(op: StoreMetadata, decorator: string): string {
    return withNamespace(
      this.config.namespace,
      buildKey(op.key, this.keyContext(`${decorator} key`)),
    );
  }

  private keyContext(what: string): KeyContext {
    return {
      thisArg: this.thisArg,
      args: this.args,
      identity: this.identity,
      what: `${what} of ${this.record.describe()}`,
    };
  }

  /** Seconds for `manager.set`; `undefined` for the manager's default; `<= 0` (or NaN) for "do not store". */
  private ttlForPut(op: CachePutMetadata, result: unknown): number | undefined {
    if (op.unless !== undefined && op.unless.call(this.thisArg, result, ...this.args)) return 0;
    const spec: TtlSpec | undefined = ttlOf(this.record, op, this.config);
    if (typeof spec !== 'function') return spec;
    // As under @Cacheable: a computed TTL that is not a positive number keeps the result out.
    const ttl: unknown = spec.call(this.thisArg, result, ...this.args);
    return typeof ttl === 'number' && ttl > 0 ? ttl : 0;
  }

  private tags(option: TagsOption | undefined, decorator: string): readonly string[] | undefined {
    return tagsFor(
      option,
      this.thisArg,
      this.args,
      `${decorator} tags of ${this.record.describe()}`,
    );
  }

  private strings(value: unknown, what: string): string[] {
    return checkedStrings(value, `${what} of ${this.record.describe()}`);
  }
}

/** `allEntries` means the class namespace; without one it would mean the whole key prefix. */
export function requireNamespace(config: CacheConfigMetadata, record: MethodRecord): string {
  const namespace = config.namespace;
  if (namespace === undefined) {
    throw new Error(
      `[cache-aside] @CacheEvict({ allEntries: true }) on ${record.describe()} needs a namespace ` +
        "to clear, and its class has none: add @CacheConfig({ namespace: '...' }) to the class. " +
        "(Without one it would clear every entry under the manager's key prefix; to do that on " +
        "purpose, use @CacheEvict({ pattern: '*' }).)",
    );
  }
  return namespace;
}
