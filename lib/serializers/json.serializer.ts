import { decodeJson, encodeJson } from './json-codec';
import { DEFAULT_MAX_PAYLOAD_BYTES, type Serializer } from './serializer';
import { positiveInteger } from './serializer-options';

export interface JsonSerializerOptions {
  /**
   * Largest payload, in bytes, this serializer writes or reads. A stored entry above it is a
   * miss without being parsed; a value encoding above it is not stored. @default 8 MiB
   */
  maxBytes?: number;
}

/**
 * The default serializer: JSON that round-trips what JSON alone would change — `Date` comes back
 * as a `Date`, `NaN`, `±Infinity`, `-0` and `undefined` array elements as themselves — while a
 * value without any of those is stored as plain JSON and decoded by one `JSON.parse`. Values JSON
 * cannot represent (BigInt, Map, Set, binary data, functions…) are refused, never altered.
 * Class instances are stored as their own enumerable properties and come back as plain objects
 * (use `ClassTransformerSerializer` to get instances). The wire format is described in
 * `json-codec.ts`.
 */
export class JsonSerializer implements Serializer {
  readonly id = 'json';
  readonly maxBytes: number;

  constructor(options: JsonSerializerOptions = {}) {
    this.maxBytes = positiveInteger(
      options.maxBytes,
      'JsonSerializer maxBytes',
      DEFAULT_MAX_PAYLOAD_BYTES,
    );
  }

  serialize(value: unknown): string {
    return encodeJson(value, this.maxBytes, 'JsonSerializer');
  }

  deserialize(data: Buffer): unknown {
    return decodeJson(data, this.maxBytes, 'JsonSerializer');
  }
}
