import { CodecRegistry } from '../../../lib/entry/codec';
import { encodeEntry, EntryKind, LEASE_MARKER_PREFIX } from '../../../lib/entry/entry-format';
import { EntryReader } from '../../../lib/manager/entry-reader';
import type { Invalidator } from '../../../lib/manager/invalidator';
import type { TagVersions } from '../../../lib/manager/tag-versions';
import { Telemetry } from '../../../lib/manager/telemetry';
import { JsonSerializer } from '../../../lib/serializers/json.serializer';
import type { CacheEvents } from '../../../lib';

const codecs = new CodecRegistry();
const json = codecs.of(new JsonSerializer());

function entry(value: unknown, freshUntil: number, tags?: Array<{ tag: string; token: string }>) {
  return encodeEntry({
    kind: EntryKind.Value,
    codecId: json.id,
    writtenAt: Date.now() - 1000,
    freshUntil,
    tags,
    payload: JSON.stringify(value),
  });
}

describe('EntryReader', () => {
  let telemetry: Telemetry;
  let errors: Array<CacheEvents['error']>;
  let tagsValid: boolean | Error;
  let pendingTags: Set<string>;
  let reader: EntryReader;

  beforeEach(() => {
    telemetry = new Telemetry();
    errors = [];
    telemetry.events.on('error', (e) => errors.push(e));
    tagsValid = true;
    pendingTags = new Set();
    const tags = {
      stillValid: async () => {
        if (tagsValid instanceof Error) throw tagsValid;
        return tagsValid;
      },
      stampsFor: async (names: readonly string[]) =>
        names.map((tag) => ({ tag, token: 'x'.repeat(16) })),
    } as unknown as TagVersions;
    const invalidator = {
      coversTags: (stamps: ReadonlyArray<{ tag: string }>) =>
        stamps.some(({ tag }) => pendingTags.has(tag)),
    } as unknown as Invalidator;
    reader = new EntryReader(telemetry, tags, invalidator);
  });

  it('reads a fresh entry synchronously (no promise on the hit path without tags)', () => {
    const lookup = reader.read(entry({ a: 1 }, Date.now() + 60_000), json, 'k', 'get');
    expect(lookup).not.toBeInstanceOf(Promise);
    expect(lookup).toMatchObject({ state: 'fresh', value: { a: 1 } });
  });

  it('tells a stale entry (past fresh-until) from a fresh one', () => {
    expect(reader.read(entry('old', Date.now() - 1), json, 'k', 'get')).toMatchObject({
      state: 'stale',
      value: 'old',
    });
  });

  it('sees a load lease as leased, with its marker', () => {
    const marker = `${LEASE_MARKER_PREFIX}abc`;
    expect(reader.read(Buffer.from(marker), json, 'k', 'get')).toEqual({ state: 'leased', marker });
  });

  it('reports bytes that are not an entry (safe to log: no bytes in the event) and calls them unusable', () => {
    const raw = Buffer.from('secret-value-written-by-someone-else');
    expect(reader.read(raw, json, 'k', 'get', 'L')).toEqual({ state: 'unusable', raw });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ key: 'k', operation: 'get' });
    expect(errors[0].code).toBe('DECODE_FAILED');
    expect(errors[0].message).not.toContain('secret');
  });

  it('calls an entry of another codec unusable', () => {
    const other = codecs.of({
      id: 'other',
      serialize: JSON.stringify,
      deserialize: String,
    });
    const raw = entry(1, Date.now() + 1000);
    expect(reader.read(raw, other, 'k', 'get')).toMatchObject({ state: 'unusable' });
    expect(errors[0].code).toBe('DECODE_FAILED');
  });

  describe('tagged entries', () => {
    const stamps = [{ tag: 'users', token: 'a'.repeat(16) }];

    it('are fresh while their tags are still valid', async () => {
      const read = reader.read(entry('v', Date.now() + 1000, stamps), json, 'k', 'get');
      expect(read).toBeInstanceOf(Promise);
      expect(await read).toMatchObject({ state: 'fresh', value: 'v' });
    });

    it('are unusable once a tag was invalidated', async () => {
      tagsValid = false;
      expect(
        await reader.read(entry('v', Date.now() + 1000, stamps), json, 'k', 'get'),
      ).toMatchObject({ state: 'unusable' });
    });

    it('are unusable while a tag invalidation is queued for Redis', async () => {
      pendingTags.add('users');
      expect(
        await reader.read(entry('v', Date.now() + 1000, stamps), json, 'k', 'get'),
      ).toMatchObject({ state: 'unusable' });
    });

    it('are unusable (and Redis trouble reported) when the tags cannot be checked', async () => {
      tagsValid = new Error('Connection is closed.');
      expect(
        await reader.read(entry('v', Date.now() + 1000, stamps), json, 'k', 'get'),
      ).toMatchObject({ state: 'unusable' });
      expect(errors[0].code).toBe('REDIS_UNAVAILABLE');
    });
  });

  it('stamps() reads tag tokens, or reports and answers undefined when Redis cannot', async () => {
    expect(await reader.stamps(['a'], 'get', 'k')).toEqual([{ tag: 'a', token: 'x'.repeat(16) }]);
    const failing = new EntryReader(
      telemetry,
      { stampsFor: () => Promise.reject(new Error('Connection is closed.')) } as never,
      { coversTags: () => false } as never,
    );
    expect(await failing.stamps(['a'], 'set', 'k')).toBeUndefined();
    expect(errors.at(-1)?.code).toBe('REDIS_UNAVAILABLE');
  });
});
