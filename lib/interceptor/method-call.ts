import { describe } from '../errors/invalid-argument';
import type { GetOptions, SetOptions } from '../manager/cache-aside.options';
import type {
  CacheConfigMetadata,
  CacheEvictMetadata,
  CacheableMetadata,
  CachePutMetadata,
  StoreMetadata,
  TagsOption,
  TtlSpec,
} from '../metadata/cache-metadata';
import {
  conditionOf,
  eagerRefreshOf,
  graceOf,
  ttlOf,
} from '../metadata/metadata-reader';
import type { MethodRecord } from '../metadata/method-record';
import { buildKey, buildPattern, escapeGlob, type KeyContext, withNamespace } from './cache-key';
import type { CacheManagerPort } from './manager-port';

/**
 * One call of a decorated method, resolved: which instance and arguments, the class settings in
 * force, the method's identity (`Class.method`), and the cache operations to run around it.
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

  /** `@Cacheable`: read through the manager, which loads (once) on a miss. */
  cacheable(op: CacheableMetadata, manager: CacheManagerPort): Promise<unknown> {
    if (!this.passes(op)) return Promise.resolve(this.invoke());
    const key = this.key(op, '@Cacheable');
    const opts: GetOptions<unknown> = { label: this.identity };
    const ttl = this.ttlForGet(op, manager);
    if (ttl !== undefined) opts.ttl = ttl;
    if (op.serializer) opts.serializer = op.serializer;
    const tags = this.tags(op.tags, '@Cacheable');
    if (tags) opts.tags = tags;
    const grace = graceOf(op, this.config);
    if (grace !== undefined) opts.grace = grace;
    const eagerRefresh = eagerRefreshOf(op, this.config);
    if (eagerRefresh !== undefined) opts.eagerRefresh = eagerRefresh;
    return manager.get(key, () => this.invoke(), opts);
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
      keys.push(...this.strings(computed, '@CacheEvict keys').map((k) => withNamespace(namespace, k)));
    }
    const work: Array<Promise<number>> = [];
    if (keys.length > 0) work.push(manager.invalidate(keys));
    if (op.pattern) {
      const pattern = buildPattern(op.pattern, this.keyContext('@CacheEvict pattern'));
      work.push(manager.invalidatePattern(withNamespace(namespace && escapeGlob(namespace), pattern)));
    }
    const tags = this.tags(op.tags, '@CacheEvict');
    if (tags) work.push(manager.invalidateTags(tags));
    if (op.allEntries) work.push(manager.invalidatePattern(`${escapeGlob(this.requireNamespace())}:*`));
    await Promise.all(work);
  }

  /** `allEntries` means the class namespace; without one it would mean the whole key prefix. */
  requireNamespace(): string {
    const namespace = this.config.namespace;
    if (namespace === undefined) {
      throw new Error(
        `[cache-aside] @CacheEvict({ allEntries: true }) on ${this.record.describe()} needs a namespace ` +
          'to clear, and its class has none: add @CacheConfig({ namespace: \'...\' }) to the class. ' +
          '(Without one it would clear every entry under the manager\'s key prefix; to do that on ' +
          "purpose, use @CacheEvict({ pattern: '*' }).)",
      );
    }
    return namespace;
  }

  private passes(op: StoreMetadata | CacheEvictMetadata): boolean {
    const condition = conditionOf(op, this.config);
    return condition === undefined || condition.apply(this.thisArg, this.args) === true;
  }

  private key(op: StoreMetadata, decorator: string): string {
    return withNamespace(this.config.namespace, buildKey(op.key, this.keyContext(`${decorator} key`)));
  }

  private keyContext(what: string): KeyContext {
    return {
      thisArg: this.thisArg,
      args: this.args,
      identity: this.identity,
      what: `${what} of ${this.record.describe()}`,
    };
  }

  /**
   * The TTL handed to `manager.get`: a number, the manager's default (undefined), or — when it
   * depends on the result or `unless` may veto it — a function of the loaded value.
   */
  private ttlForGet(op: CacheableMetadata, manager: CacheManagerPort): GetOptions<unknown>['ttl'] {
    const spec = ttlOf(this.record, op, this.config);
    const unless = op.unless;
    if (unless === undefined && typeof spec !== 'function') return spec;
    return (value: unknown) => {
      if (unless !== undefined && unless.call(this.thisArg, value, ...this.args) === true) return 0;
      return typeof spec === 'function' ? spec.call(this.thisArg, value, ...this.args) : (spec ?? manager.defaultTtl);
    };
  }

  /** Seconds for `manager.set`; `undefined` for the manager's default; `<= 0` (or NaN) for "do not store". */
  private ttlForPut(op: CachePutMetadata, result: unknown): number | undefined {
    if (op.unless !== undefined && op.unless.call(this.thisArg, result, ...this.args) === true) return 0;
    const ttl = this.evaluateTtl(ttlOf(this.record, op, this.config), result);
    return ttl === undefined || (typeof ttl === 'number' && !Number.isNaN(ttl)) ? ttl : 0;
  }

  private evaluateTtl(spec: TtlSpec | undefined, value: unknown): number | undefined {
    return typeof spec === 'function' ? spec.call(this.thisArg, value, ...this.args) : spec;
  }

  private tags(option: TagsOption | undefined, decorator: string): readonly string[] | undefined {
    if (option === undefined) return undefined;
    if (typeof option !== 'function') return option.length > 0 ? option : undefined;
    const tags = this.strings(option.apply(this.thisArg, this.args), `${decorator} tags`);
    return tags.length > 0 ? tags : undefined;
  }

  private strings(value: unknown, what: string): string[] {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0)) {
      throw new TypeError(
        `[cache-aside] ${what} of ${this.record.describe()} returned ${describe(value)}; it must return an ` +
          'array of non-empty strings.',
      );
    }
    return value as string[];
  }
}
