/**
 * Turns a value into bytes for Redis and back. Serializers never see Redis, keys or TTLs: the
 * manager wraps what they produce in the entry envelope (`lib/manager/entry-format.ts`), which
 * also records which codec wrote the entry, so that a serializer changed in a deploy reads old
 * entries as misses rather than as garbage.
 */
export interface Serializer {
  /**
   * A short, stable name of the encoding (e.g. `'json'`, `'msgpack'`, `'gzip+json'`), written
   * into every entry. Entries written under another id are misses. Defaults to the class name.
   */
  readonly id?: string;
  serialize(value: unknown): Buffer | string;
  deserialize(data: Buffer): unknown;
}

/** The longest codec id the entry envelope stores (one length byte, ASCII). */
export const MAX_CODEC_ID_LENGTH = 64;

/**
 * Checked at construction (manager) or decoration time (per method), so a serializer missing a
 * method is a `TypeError` there, not a failure on the first cache miss in production.
 */
export function assertSerializer(value: unknown, argumentName = 'serializer'): asserts value is Serializer {
  const candidate = value as Partial<Serializer> | null | undefined;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    typeof candidate.serialize !== 'function' ||
    typeof candidate.deserialize !== 'function'
  ) {
    throw new TypeError(
      `[cache-aside] ${argumentName} must implement serialize(value): Buffer | string and ` +
        'deserialize(data: Buffer): unknown (see JsonSerializer for an example).',
    );
  }
  codecIdOf(candidate as Serializer);
}

/** The id recorded in entries written by this serializer. */
export function codecIdOf(serializer: Serializer): string {
  const id = serializer.id ?? serializer.constructor?.name ?? 'custom';
  // eslint-disable-next-line no-control-regex
  if (id.length === 0 || id.length > MAX_CODEC_ID_LENGTH || /[^\x20-\x7e]/.test(id)) {
    throw new TypeError(
      `[cache-aside] serializer id must be 1 to ${MAX_CODEC_ID_LENGTH} printable ASCII ` +
        `characters, got "${id}"; set a readonly id on your serializer.`,
    );
  }
  return id;
}
