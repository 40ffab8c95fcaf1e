import { CacheTypeError } from '../errors/cache-type-error';
import type { InvalidateOptions } from '../manager/cache-aside.options';
import type {
  CacheConfigMetadata,
  CacheEvictMetadata,
  ConditionFunction,
} from '../metadata/cache-metadata';
import { conditionOf } from '../metadata/metadata-reader';
import type { MethodRecord } from '../metadata/method-record';
import { checkedStrings, tagsFor } from './call-results';
import { compileKeyBuilder, namespaceHead, type KeyBuilder } from './cache-key';
import { tenantTags, type TenantHead } from './tenant';
import type { CacheManagerPort } from './manager-port';

/**
 * One `@CacheEvict` of a method, prepared once per class: its keys through the same key builder
 * as reads and puts, its pattern, tags and `allEntries`, and the manager they go to.
 */
export class CachedEviction {
  readonly beforeInvocation: boolean;
  private readonly keys: readonly KeyBuilder[];
  private readonly pattern: KeyBuilder | undefined;
  private readonly condition: ConditionFunction | undefined;
  private readonly namespacePrefix: string;
  /** The glob of the class namespace, for `allEntries`. */
  private readonly allEntries: string | undefined;
  private readonly where: string;
  /** Names the decorated method (`Class.method`) on the manager's `cache-aside:invalidate`. */
  private readonly label: InvalidateOptions;

  constructor(
    private readonly op: CacheEvictMetadata,
    record: MethodRecord,
    config: CacheConfigMetadata,
    identity: string,
    readonly manager: CacheManagerPort,
    private readonly tenant?: TenantHead,
  ) {
    this.where = record.describe();
    this.label = Object.freeze({ label: identity });
    const namespace = config.namespace;
    this.beforeInvocation = op.beforeInvocation;
    this.condition = conditionOf(op, config);
    this.namespacePrefix = namespaceHead(namespace);
    this.keys = op.keys.map((plan) =>
      compileKeyBuilder(
        plan,
        namespace,
        identity,
        `@CacheEvict key of ${this.where}`,
        'key',
        tenant,
      ),
    );
    this.pattern =
      op.pattern &&
      compileKeyBuilder(
        op.pattern,
        namespace,
        identity,
        `@CacheEvict pattern of ${this.where}`,
        'pattern',
        tenant,
      );
    this.allEntries = op.allEntries
      ? `${namespaceHead(requireNamespace(config, record))}*`
      : undefined;
  }

  /** Removes every target it names, in parallel (unless `condition` says no). */
  async run(thisArg: unknown, args: unknown[]): Promise<void> {
    if (this.condition !== undefined && !this.condition.apply(thisArg, args)) return;
    const op = this.op;
    const head = this.tenant === undefined ? '' : this.tenant(thisArg, args);
    const keys = this.keys.map((keyOf) => keyOf(thisArg, args));
    if (op.keysFunction) {
      const computed: unknown = op.keysFunction.apply(thisArg, args);
      for (const key of checkedStrings(computed, `@CacheEvict keys of ${this.where}`))
        keys.push(head + this.namespacePrefix + key);
    }
    const { manager, label } = this;
    const work: Array<Promise<number>> = [];
    if (keys.length > 0) work.push(manager.invalidate(keys, label));
    if (this.pattern) work.push(manager.invalidatePattern(this.pattern(thisArg, args), label));
    const tags = tagsFor(op.tags, thisArg, args, `@CacheEvict tags of ${this.where}`);
    if (tags) work.push(manager.invalidateTags(head ? tenantTags(tags, head) : tags, label));
    if (this.allEntries !== undefined)
      work.push(manager.invalidatePattern(head + this.allEntries, label));
    await Promise.all(work);
  }
}

/** `allEntries` means the class namespace; without one it would mean the whole key prefix. */
export function requireNamespace(config: CacheConfigMetadata, record: MethodRecord): string {
  const namespace = config.namespace;
  if (namespace === undefined) {
    throw new CacheTypeError(
      'ERR_CACHE_ASIDE_DECORATOR_MISUSE',
      `@CacheEvict({ allEntries: true }) on ${record.describe()} needs a namespace ` +
        "to clear, and its class has none: add @CacheConfig({ namespace: '...' }) to the class. " +
        "(Without one it would clear every entry under the manager's key prefix; to do that on " +
        "purpose, use @CacheEvict({ pattern: '*' }).)",
    );
  }
  return namespace;
}
