import { CacheTypeError } from '../errors/cache-type-error';
import type {
  CacheableManyMetadata,
  CacheableMetadata,
  CacheEvictMetadata,
  CachePutMetadata,
  TtlSpec,
} from './cache-metadata';
import { type AnyClass, isClass } from './any-class';

/* eslint-disable-next-line @typescript-eslint/no-explicit-any -- a method of any signature */
export type AnyMethod = (this: unknown, ...args: any[]) => unknown;

/**
 * Everything the cache decorators recorded about one method, and the trampoline installed in
 * its place. One record per decorated method however many cache decorators it carries: the
 * first decorator applied creates it and installs the trampoline, the others only add to it, so
 * their order does not matter.
 */
export class MethodRecord {
  cacheable?: CacheableMetadata;
  put?: CachePutMetadata;
  many?: CacheableManyMetadata;
  ttl?: TtlSpec;
  readonly evicts: CacheEvictMetadata[] = [];
  /** The class whose prototype (or, for a static method, which) holds the trampoline. */
  declaringClass?: AnyClass;
  /** The combination of decorators was checked (on the first call). */
  checked = false;

  constructor(
    readonly name: string | symbol,
    readonly isStatic: boolean,
    /** The method as written, before wrapping. */
    readonly original: AnyMethod,
    /** The function installed in its place; set once, right after construction. */
    public trampoline: AnyMethod = original,
  ) {}

  /** `'find'`, or `'[Symbol(x)]'` for a symbol-named method. */
  get methodName(): string {
    return typeof this.name === 'symbol' ? `[${this.name.description ?? 'symbol'}]` : this.name;
  }

  /** `UserRepository.findById` (or just `findById` before the class is known), for messages. */
  describe(): string {
    const owner = this.declaringClass?.name;
    const method = owner ? `${owner}.${this.methodName}` : this.methodName;
    return this.isStatic ? `${method} (static)` : method;
  }

  setCacheable(meta: CacheableMetadata): void {
    if (this.cacheable) throw duplicate('@Cacheable', this);
    if (this.put) throw conflict(this);
    if (this.many) throw manyConflict('@Cacheable', this);
    this.cacheable = meta;
  }

  setPut(meta: CachePutMetadata): void {
    if (this.put) throw duplicate('@CachePut', this);
    if (this.cacheable) throw conflict(this);
    if (this.many) throw manyConflict('@CachePut', this);
    this.put = meta;
  }

  setMany(meta: CacheableManyMetadata): void {
    if (this.many) throw duplicate('@CacheableMany', this);
    if (this.cacheable) throw manyConflict('@Cacheable', this);
    if (this.put) throw manyConflict('@CachePut', this);
    this.many = meta;
  }

  setTtl(ttl: TtlSpec): void {
    if (this.ttl !== undefined) throw duplicate('@CacheTtl', this);
    this.ttl = ttl;
  }

  addEvict(meta: CacheEvictMetadata): void {
    this.evicts.push(meta);
  }

  /**
   * Finds the declaring class from an instance (or, for a static method, a class) by walking its
   * prototype chain to the object that holds this record's trampoline. Needed with standard
   * decorators, whose method context does not name the class.
   */
  locate(start: unknown): void {
    if (this.declaringClass !== undefined) return;
    for (
      let o = start;
      o !== null && (typeof o === 'object' || typeof o === 'function');
      o = Object.getPrototypeOf(o)
    ) {
      const own = Object.getOwnPropertyDescriptor(o, this.name);
      if (own && own.value === this.trampoline) {
        const ctor: unknown =
          typeof o === 'function' ? o : (o as { constructor?: unknown }).constructor;
        if (isClass(ctor)) this.declaringClass = ctor;
        return;
      }
    }
  }

  /**
   * The combination of decorators must make sense; checked on the first call, because a method's
   * decorators are applied one by one in any order and none of them sees the final set.
   */
  assertComplete(): void {
    if (this.checked) return;
    if (this.ttl !== undefined && !this.cacheable && !this.put && !this.many) {
      throw new CacheTypeError(
        'ERR_CACHE_ASIDE_DECORATOR_MISUSE',
        `@CacheTtl on ${this.describe()} has nothing to apply to: add @Cacheable(), ` +
          '@CacheableMany() or @CachePut() to the method, or remove @CacheTtl. (With standard decorators, keep the ' +
          'cache decorators of a method next to each other: a decorator placed between them wraps ' +
          'the method in between, and the ones on either side no longer see each other.)',
      );
    }
    this.checked = true;
  }
}

function duplicate(decorator: string, record: MethodRecord): CacheTypeError {
  return new CacheTypeError(
    'ERR_CACHE_ASIDE_DECORATOR_MISUSE',
    `${decorator} appears twice on ${record.describe()}; a method takes it once ` +
      '(only @CacheEvict may be repeated).',
  );
}

function manyConflict(other: string, record: MethodRecord): CacheTypeError {
  return new CacheTypeError(
    'ERR_CACHE_ASIDE_DECORATOR_MISUSE',
    `${record.describe()} has both @CacheableMany and ${other}: a method either reads ` +
      'a batch of ids item by item or caches one result. Keep one of them.',
  );
}

function conflict(record: MethodRecord): CacheTypeError {
  return new CacheTypeError(
    'ERR_CACHE_ASIDE_DECORATOR_MISUSE',
    `${record.describe()} has both @Cacheable and @CachePut: @Cacheable skips the ` +
      'method on a hit, @CachePut always runs it. Keep one of them.',
  );
}
