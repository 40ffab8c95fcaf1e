import { decodeJson, encodeJson, type JsonLimits } from './json-codec';
import { DEFAULT_MAX_PAYLOAD_BYTES, type Serializer } from './serializer';
import { positiveInteger } from './serializer-options';

/** @default 64 — the same bound as `MsgpackSerializer`'s `maxDepth`. */
export const DEFAULT_JSON_MAX_DEPTH = 64;

/** Bounds of a `JsonSerializer`; the defaults suit ordinary rows and documents. */
export interface JsonSerializerOptions {
  /**
   * Largest payload, in bytes, this serializer writes or reads. A stored entry above it is a
   * miss without being parsed; a value encoding above it is not stored. @default 8 MiB
   */
  maxBytes?: number;
  /**
   * Containers nested inside one another (`[[1]]` is 2 deep). A stored value nested deeper is a
   * miss (`DECODE_FAILED`) rather than a value that overflows the stack of whatever recurses
   * over it next; a value nested deeper is returned but not stored (`ENCODE_FAILED`).
   * @default 64
   */
  maxDepth?: number;
}

/**
 * The default serializer: JSON that round-trips what JSON alone would change — `Date` comes back
 * as a `Date`, `NaN`, `±Infinity`, `-0` and `undefined` array elements as themselves — while a
 * value without any of those is stored as plain JSON and decoded by one `JSON.parse`. Values JSON
 * cannot represent (BigInt, Map, Set, binary data, functions…) are refused, never altered.
 * Class instances are stored as their own enumerable properties and come back as plain objects
 * (use `ClassTransformerSerializer` to get instances). Nesting is bounded by `maxDepth`, on
 * both sides. The wire format is described in
 * `json-codec.ts`.
 */
export class JsonSerializer implements Serializer {
  readonly id = 'json';
  /** The largest payload, in bytes, written or read: a bigger one is refused instead of parsed. */
  readonly maxBytes: number;
  /** The deepest nesting of arrays and objects read back, so that hostile input cannot exhaust the stack. */
  readonly maxDepth: number;
  private readonly limits: JsonLimits;

  constructor(options: JsonSerializerOptions = {}) {
    this.maxBytes = positiveInteger(
      options.maxBytes,
      'JsonSerializer maxBytes',
      DEFAULT_MAX_PAYLOAD_BYTES,
    );
    this.maxDepth = positiveInteger(
      options.maxDepth,
      'JsonSerializer maxDepth',
      DEFAULT_JSON_MAX_DEPTH,
    );
    this.limits = { maxBytes: this.maxBytes, maxDepth: this.maxDepth };
  }

  /** `JSON.stringify` of the value, refused when over `maxBytes`. */
  serialize(value: unknown): string {
    return encodeJson(value, this.limits, 'JsonSerializer');
  }

  /** The parsed value, after checking size and depth. */
  deserialize(data: Buffer): unknown {
    return decodeJson(data, this.limits, 'JsonSerializer');
  }
}
