import type { InvalidateOptions } from '../manager/cache-aside.options';
import type { CachePutMetadata, ConditionFunction } from '../metadata/cache-metadata';
import { conditionOf, nullTtlOf } from '../metadata/metadata-reader';
import type { AnyMethod } from '../metadata/method-record';
import { tagsFor } from './call-results';
import type { ReadSite } from './cached-read';
import type { KeyBuilder } from './cache-key';
import type { CacheManagerPort, NullPolicy, PortSetOptions } from './manager-port';
import type { ResultTtl } from './result-ttl';
import { tenantTags, type TenantHead } from './tenant';

/**
 * `@CachePut`, prepared once per method and class: the method always runs, and its result is
 * written under the key the method's reads would use. A result kept out of the cache (`unless`,
 * a TTL of 0 or less) removes the entry instead, so that an older value is not served in place
 * of the newer one.
 */
export class CachedPut {
  private readonly original: AnyMethod;
  private readonly manager: CacheManagerPort;
  private readonly keyOf: KeyBuilder;
  private readonly ttl: ResultTtl;
  private readonly condition: ConditionFunction | undefined;
  private readonly tagsWhat: string;
  private readonly nullTtl: NullPolicy['nullTtl'];
  private readonly tenant: TenantHead | undefined;
  /** `Class.method`, named by the write (or invalidation) on the manager's channels. */
  private readonly label: string;
  /** The options of the invalidation that replaces a write with a TTL of 0 or less. */
  private readonly removal: InvalidateOptions;

  constructor(
    site: ReadSite,
    private readonly op: CachePutMetadata,
  ) {
    this.original = site.record.original;
    this.manager = site.manager;
    this.keyOf = site.keyOf;
    this.ttl = site.ttl;
    this.condition = conditionOf(op, site.config);
    this.tagsWhat = `@CachePut tags of ${site.record.describe()}`;
    this.nullTtl = nullTtlOf(op, site.config);
    this.tenant = site.tenant;
    this.label = site.identity;
    this.removal = Object.freeze({ label: site.identity });
  }

  async run(thisArg: unknown, args: unknown[]): Promise<unknown> {
    const passes = this.condition === undefined || this.condition.apply(thisArg, args);
    const result: unknown = await this.original.apply(thisArg, args);
    if (!passes) return result;
    const key = this.keyOf(thisArg, args);
    const ttl = this.ttl.of(thisArg, args, result);
    if (ttl !== undefined && !(ttl > 0)) {
      await this.manager.invalidate(key, this.removal);
      return result;
    }
    const opts: PortSetOptions = { label: this.label };
    if (ttl !== undefined) opts.ttl = ttl;
    if (this.op.serializer) opts.serializer = this.op.serializer;
    const tags = tagsFor(this.op.tags, thisArg, args, this.tagsWhat);
    if (tags) opts.tags = this.tenant ? tenantTags(tags, this.tenant(thisArg, args)) : tags;
    if (this.nullTtl !== undefined) opts.nullTtl = this.nullTtl;
    await this.manager.set(key, result, opts);
    return result;
  }
}
