import type {
  CacheConfigMetadata,
  CacheableMetadata,
  ConditionFunction,
  StoreMetadata,
  TagsOption,
} from '../metadata/cache-metadata';
import { conditionOf, freshnessOf, nullTtlOf } from '../metadata/metadata-reader';
import type { AnyMethod, MethodRecord } from '../metadata/method-record';
import { tagsFor } from './call-results';
import type { KeyBuilder } from './cache-key';
import type { CacheManagerPort, PortGetOptions as GetOptions } from './manager-port';
import type { ResultTtl } from './result-ttl';
import { tenantTags, type TenantHead } from './tenant';

/** A read operation prepared for one method and class: what a call runs, given `this` and the arguments. */
export interface ReadStep {
  run(thisArg: unknown, args: unknown[]): Promise<unknown>;
}

/** Where a method's read runs, and under which settings (resolved by the interceptor). */
export interface ReadSite {
  readonly record: MethodRecord;
  readonly config: CacheConfigMetadata;
  /** `Class.method`: the head of default keys, and the statistics label. */
  readonly identity: string;
  readonly manager: CacheManagerPort;
  /** The method's key builder, shared with its puts and evictions. */
  readonly keyOf: KeyBuilder;
  /** The TTL of a result, by the one precedence rule. */
  readonly ttl: ResultTtl;
  /** The class's tenant, when its keys and tags are per tenant. */
  readonly tenant: TenantHead | undefined;
}

/**
 * What `@Cacheable` and `@CacheableMany` resolve once per method and class rather than per call:
 * the key builder, the condition, the TTL, and the `GetOptions` — one frozen object shared by
 * every call, unless a TTL function, `unless` or a tags function makes them depend on the call.
 */
export abstract class PreparedRead {
  protected readonly original: AnyMethod;
  protected readonly manager: CacheManagerPort;
  protected readonly keyOf: KeyBuilder;
  protected readonly condition: ConditionFunction | undefined;
  /** The options of every call; `undefined` when they are built per call by `optionsFor`. */
  protected readonly shared: GetOptions | undefined;
  private readonly base: GetOptions;
  private readonly ttl: ResultTtl;
  private readonly tags: TagsOption | undefined;
  private readonly tagsWhat: string;
  private readonly tenant: TenantHead | undefined;

  protected constructor(
    site: ReadSite,
    op: StoreMetadata,
    decorator: string,
    extra: GetOptions = {},
  ) {
    const { record, config } = site;
    this.original = record.original;
    this.manager = site.manager;
    this.keyOf = site.keyOf;
    this.condition = conditionOf(op, config);
    this.ttl = site.ttl;
    this.tags = op.tags;
    this.tagsWhat = `${decorator} tags of ${record.describe()}`;
    this.tenant = site.tenant;
    const base: GetOptions = { label: site.identity };
    if (!this.ttl.dynamic && this.ttl.fixed !== undefined) base.ttl = this.ttl.fixed;
    if (op.serializer) base.serializer = op.serializer;
    if (Array.isArray(op.tags) && op.tags.length > 0) base.tags = op.tags;
    const nullTtl = nullTtlOf(op, config);
    if (nullTtl !== undefined) base.nullTtl = nullTtl;
    this.base = Object.assign(base, extra);
    const tagsPerCall =
      typeof op.tags === 'function' || (site.tenant !== undefined && op.tags !== undefined);
    this.shared = this.ttl.dynamic || tagsPerCall ? undefined : Object.freeze(this.base);
  }

  /** Whether this call goes through the cache (`condition`). */
  protected passes(thisArg: unknown, args: unknown[]): boolean {
    return this.condition === undefined || this.condition.apply(thisArg, args);
  }

  /**
   * The options of one call whose TTL or tags depend on it: the TTL becomes a function of the
   * loaded value (`0` when `unless` vetoes it), and a tags function is applied to the arguments.
   */
  protected optionsFor(thisArg: unknown, args: unknown[]): GetOptions {
    const base = this.base;
    // One literal of a fixed shape (absent options as `undefined`, which every reader treats as
    // unset): cheaper than copying `base` property by property.
    return {
      label: base.label,
      ttl: this.ttl.dynamic ? this.ttlOfValue(thisArg, args) : base.ttl,
      serializer: base.serializer,
      tags: this.tagsOf(thisArg, args),
      grace: base.grace,
      staleWhileRevalidate: base.staleWhileRevalidate,
      eagerRefresh: base.eagerRefresh,
      softTimeoutMs: base.softTimeoutMs,
      hardTimeoutMs: base.hardTimeoutMs,
      nullTtl: base.nullTtl,
    };
  }

  /** The tags of one call: computed by a tags function, and confined to the call's tenant. */
  private tagsOf(thisArg: unknown, args: unknown[]): readonly string[] | undefined {
    const tags =
      typeof this.tags === 'function'
        ? tagsFor(this.tags, thisArg, args, this.tagsWhat)
        : this.base.tags;
    return tags && this.tenant ? tenantTags(tags, this.tenant(thisArg, args)) : tags;
  }

  /** The TTL of a value loaded by this call (the manager's default when none is configured). */
  private ttlOfValue(thisArg: unknown, args: unknown[]): (value: unknown) => number {
    const ttl = this.ttl;
    const manager = this.manager;
    return (value: unknown) => ttl.of(thisArg, args, value) ?? manager.defaultTtl;
  }
}

/** `@Cacheable`: read through `manager.get`, which runs the method (once) on a miss. */
export class CachedRead extends PreparedRead implements ReadStep {
  constructor(site: ReadSite, op: CacheableMetadata) {
    const extra: GetOptions = { ...freshnessOf(op, site.config) };
    super(site, op, '@Cacheable', extra);
  }

  run(thisArg: unknown, args: unknown[]): Promise<unknown> {
    const original = this.original;
    if (this.condition !== undefined && !this.passes(thisArg, args))
      return Promise.resolve(original.apply(thisArg, args));
    return this.manager.get(
      this.keyOf(thisArg, args),
      () => original.apply(thisArg, args),
      this.shared ?? this.optionsFor(thisArg, args),
    );
  }
}
