import type { Serializer } from './serializer';

/**
 * The default serializer: JSON, with `Date` values restored as `Date` on the way back.
 * (Foundation version; hardened in the serializers work.)
 */
export class JsonSerializer implements Serializer {
  readonly id = 'json';

  serialize(value: unknown): string {
    const text = JSON.stringify(value);
    if (text === undefined) {
      throw new TypeError(`[cache-aside] JSON cannot represent a ${typeof value} value.`);
    }
    return text;
  }

  deserialize(data: Buffer): unknown {
    return JSON.parse(data.toString('utf8'));
  }
}
