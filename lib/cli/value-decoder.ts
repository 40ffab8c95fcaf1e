import { CompressedSerializer } from '../serializers/compressed.serializer';
import { JsonSerializer } from '../serializers/json.serializer';
import { MsgpackSerializer } from '../serializers/msgpack.serializer';
import type { Serializer } from '../serializers/serializer';

/** A payload decoded, or why it was not. */
export type DecodedValue =
  | { readonly decoded: true; readonly value: unknown; readonly note?: string }
  | { readonly decoded: false; readonly reason: string; readonly unknownCodec: boolean };

/**
 * Decodes a payload with the built-in serializer its codec id names: `json`, `msgpack`,
 * `gzip+…` / `brotli+…` around one of those, and `ct:<Class>` (class-transformer entries are
 * JSON; shown as plain objects, since the tool does not have the class). Another id belongs to
 * a custom serializer the tool cannot know: the bytes are left to `--raw`.
 */
export function decodePayload(codecId: string, payload: Buffer): DecodedValue {
  const serializer = serializerFor(codecId);
  if (serializer === undefined) {
    return {
      decoded: false,
      unknownCodec: true,
      reason: `codec "${codecId}" is a custom serializer this tool cannot decode (--raw prints the bytes)`,
    };
  }
  try {
    const value = serializer.deserialize(payload);
    return classTransformerId(codecId)
      ? { decoded: true, value, note: 'class-transformer entry, shown as plain JSON' }
      : { decoded: true, value };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      decoded: false,
      unknownCodec: false,
      reason: `the ${codecId} serializer refuses the payload: ${message.replace(/^\[cache-aside\] /, '')}`,
    };
  }
}

function serializerFor(codecId: string): Serializer | undefined {
  if (codecId === 'json' || classTransformerId(codecId)) return new JsonSerializer();
  if (codecId === 'msgpack') return new MsgpackSerializer();
  const compressed = /^(gzip|brotli)\+(.+)$/.exec(codecId);
  if (compressed) {
    const inner = serializerFor(compressed[2]);
    if (inner === undefined) return undefined;
    return new CompressedSerializer(inner, { algorithm: compressed[1] as 'gzip' | 'brotli' });
  }
  return undefined;
}

function classTransformerId(codecId: string): boolean {
  return codecId.startsWith('ct:') || /^(gzip|brotli)\+ct:/.test(codecId);
}
