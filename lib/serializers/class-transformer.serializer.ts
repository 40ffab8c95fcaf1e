import { CacheTypeError } from '../errors/cache-type-error';
import { boundedCodecId } from './codec-id';
import { decodeJson, encodeJson, type JsonLimits } from './json-codec';
import { DEFAULT_JSON_MAX_DEPTH } from './json.serializer';
import { requireOptionalPeer } from './optional-peer';
import { DEFAULT_MAX_PAYLOAD_BYTES, type Serializer } from './serializer';
import { malformed, messageOf, unsupportedValue } from '../errors/serializer-errors';
import { positiveInteger } from './serializer-options';

const NAME = 'ClassTransformerSerializer';

/** A class whose instances the serializer restores (anything `new`-able). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- constructor parameters of any class, as TypeScript's own mixin pattern
export type ClassType<T = unknown> = new (...args: any[]) => T;

/** How a `ClassTransformerSerializer` maps between instances and JSON (class-transformer's own options, plus bounds). */
export interface ClassTransformerSerializerOptions {
  /**
   * Only properties decorated with `@Expose()` are written and read back. Turn it on for classes
   * whose entries someone else could write to: a field added to a stored entry (`isAdmin`) is
   * then dropped instead of becoming a property of the instance. @default false
   */
  excludeExtraneousValues?: boolean;
  /** class-transformer's `enableImplicitConversion` (uses `emitDecoratorMetadata` types). @default false */
  enableImplicitConversion?: boolean;
  /** class-transformer's `exposeDefaultValues`: class defaults fill properties the entry lacks. @default false */
  exposeDefaultValues?: boolean;
  /** class-transformer's `groups`, applied when writing and when reading. */
  groups?: string[];
  /** class-transformer's `version`, applied when writing and when reading. */
  version?: number;
  /**
   * The codec id. Defaults to `ct:` and the class name, so two different classes with the same
   * name (in two modules, or after minification) would read each other's entries at a shared
   * key: give one of them an explicit id then. Required for an anonymous class.
   */
  id?: string;
  /** Largest payload, in bytes, written or read (the JSON underneath). @default 8 MiB */
  maxBytes?: number;
  /** Containers nested inside one another, written or read (as `JsonSerializer`'s). @default 64 */
  maxDepth?: number;
}

/** The part of class-transformer this serializer uses (typed here: the package is optional). */
interface ClassTransformerModule {
  instanceToPlain(object: unknown, options?: object): unknown;
  plainToInstance(cls: ClassType, plain: unknown, options?: object): unknown;
}

let classTransformer: ClassTransformerModule | undefined;

/**
 * Values come back as instances of a class (or arrays of them), with methods callable, nested
 * classes restored where the property has `@Type(() => Nested)`, and `Date` properties as
 * `Date`s. Built on class-transformer (an optional peer dependency, loaded on first use) and on
 * `JsonSerializer`'s wire format, so dates, `NaN` and friends survive and prototype-polluting
 * keys are refused. What class-transformer turns into plain data (a `Map` property without
 * `@Type`) is stored as such.
 *
 * `@Cacheable({ type: User })` uses `new ClassTransformerSerializer(User)`.
 */
export class ClassTransformerSerializer<T = unknown> implements Serializer {
  readonly id: string;
  /** The largest payload, in bytes, written or read: a bigger one is refused instead of parsed. */
  readonly maxBytes: number;
  /** The deepest nesting of arrays and objects read back, so that hostile input cannot exhaust the stack. */
  readonly maxDepth: number;
  private readonly limits: JsonLimits;
  private readonly transformer: ClassTransformerModule;
  private readonly transformOptions: object;

  constructor(
    /** The class every value read back becomes an instance of. */
    readonly type: ClassType<T>,
    options: ClassTransformerSerializerOptions = {},
  ) {
    if (typeof type !== 'function') {
      throw new CacheTypeError(
        'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
        `ClassTransformerSerializer needs a class, got ${(type as unknown) === null ? 'null' : typeof type}.`,
      );
    }
    const name = options.id ?? (type.name ? `ct:${type.name}` : undefined);
    if (name === undefined || name.length === 0) {
      throw new CacheTypeError(
        'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
        '[cache-aside] ClassTransformerSerializer: the class has no name; pass { id } to name its entries.',
      );
    }
    this.id = boundedCodecId(name);
    this.maxBytes = positiveInteger(
      options.maxBytes,
      'ClassTransformerSerializer maxBytes',
      DEFAULT_MAX_PAYLOAD_BYTES,
    );
    this.maxDepth = positiveInteger(
      options.maxDepth,
      'ClassTransformerSerializer maxDepth',
      DEFAULT_JSON_MAX_DEPTH,
    );
    this.limits = { maxBytes: this.maxBytes, maxDepth: this.maxDepth };
    this.transformer = classTransformer ??= requireOptionalPeer<ClassTransformerModule>(
      'class-transformer',
      'ClassTransformerSerializer',
    );
    const {
      excludeExtraneousValues,
      enableImplicitConversion,
      exposeDefaultValues,
      groups,
      version,
    } = options;
    this.transformOptions = Object.fromEntries(
      Object.entries({
        excludeExtraneousValues,
        enableImplicitConversion,
        exposeDefaultValues,
        groups,
        version,
      }).filter(([, value]) => value !== undefined),
    );
  }

  /** The instance as plain JSON (`instanceToPlain`), so that only its data is stored. */
  serialize(value: unknown): string {
    let plain: unknown;
    try {
      // class-transformer keeps Date properties as Dates: the JSON format tags them.
      plain = this.transformer.instanceToPlain(value, this.transformOptions);
    } catch (error) {
      throw unsupportedValue(
        NAME,
        `this value (class-transformer: ${messageOf(error)})`,
        `check the decorators of ${this.type.name || 'the class'}`,
      );
    }
    return encodeJson(plain, this.limits, NAME);
  }

  /** An instance of the class, an array of them (nulls kept), or a primitive stored as such. */
  deserialize(data: Buffer): unknown {
    const plain = decodeJson(data, this.limits, NAME);
    if (plain === null || typeof plain !== 'object') return plain;
    try {
      return this.transformer.plainToInstance(this.type, plain, this.transformOptions);
    } catch (error) {
      throw malformed(
        NAME,
        `class-transformer could not build ${this.type.name || 'the class'} from it (${messageOf(error)})`,
        error,
      );
    }
  }
}
