import fc from 'fast-check';
import { EntryFormatError } from '../../../lib/errors/entry-format.error';
import {
  decodeEntry,
  encodeCodecId,
  encodeEntry,
  entryIdOf,
  EntryKind,
  ENTRY_HEAD_LENGTH,
  expiryPatch,
  identityOf,
  isEntryHead,
  readEntryHead,
  restampedCopy,
  isLeaseMarker,
  LEASE_MARKER_PREFIX,
  hasTagSection,
  tagStampsOf,
} from '../../../lib/entry/entry-format';

const json = encodeCodecId('json');

describe('entry format', () => {
  describe('what the other layers use instead of offsets', () => {
    const entry = encodeEntry({
      kind: EntryKind.Value,
      codecId: json,
      writtenAt: 1000,
      freshUntil: 5000,
      payload: '"v"',
    });

    it('reads the head of an entry, and nothing from bytes that are not one', () => {
      expect(readEntryHead(entry.subarray(0, ENTRY_HEAD_LENGTH))).toEqual({
        writtenAt: 1000,
        freshUntil: 5000,
      });
      expect(readEntryHead(Buffer.from('plain string, not an entry'))).toBeUndefined();
      expect(readEntryHead(entry.subarray(0, ENTRY_HEAD_LENGTH - 1))).toBeUndefined();
    });

    it('reads the tag stamps of an entry whatever its codec, and none where it has no tags', () => {
      const tags = [{ tag: 'products', token: 'a'.repeat(16) }];
      const tagged = encodeEntry({
        kind: EntryKind.Null,
        codecId: encodeCodecId('other-codec'),
        writtenAt: 1,
        freshUntil: 2,
        tags,
      });
      expect(hasTagSection(tagged.subarray(0, ENTRY_HEAD_LENGTH))).toBe(true);
      expect(tagStampsOf(tagged)).toEqual(tags);
      expect(hasTagSection(entry)).toBe(false);
      expect(tagStampsOf(entry)).toBeUndefined();
      expect(() => tagStampsOf(tagged.subarray(0, tagged.length - 3))).toThrow(EntryFormatError);
      const codecPastTheEnd = Buffer.from(tagged.subarray(0, 30));
      codecPastTheEnd[28] = 200;
      expect(() => tagStampsOf(codecPastTheEnd)).toThrow(EntryFormatError);
    });

    it('names the entry by its id, the same from the head or the whole entry', () => {
      const identity = identityOf(entry);
      expect(identity.id).toBe(entryIdOf(entry).toString('latin1'));
      expect(identityOf(entry.subarray(0, ENTRY_HEAD_LENGTH))).toEqual(identity);
      expect(entry.toString('latin1', identity.offset, identity.offset + identity.id.length)).toBe(
        identity.id,
      );
    });

    it('makes an expiry patch that, applied in place, changes only fresh-until', () => {
      const patch = expiryPatch(entry.subarray(0, ENTRY_HEAD_LENGTH), 9000);
      expect(patch.guard).toEqual(identityOf(entry));
      const patched = Buffer.from(entry);
      patch.bytes.copy(patched, patch.offset);
      const header = decodeEntry(patched, json);
      expect(header.freshUntil).toBe(9000);
      expect(header.writtenAt).toBe(1000);
      expect(header.payload.toString()).toBe('"v"');
    });

    it('gives every entry an id of its own, across many refills of the random pool', () => {
      const ids = new Set<string>();
      const count = 5000; // the pool holds 512 ids: ten refills
      for (let i = 0; i < count; i++) {
        const id = identityOf(
          encodeEntry({ kind: EntryKind.Null, codecId: json, writtenAt: 1, freshUntil: 2 }),
        ).id;
        expect(id).toMatch(/^[A-Za-z0-9_-]{8}$/);
        ids.add(id);
      }
      expect(ids.size).toBe(count);
    });

    it('restamps a copy (fresh until and written at), leaving the original and the id alone', () => {
      const copy = restampedCopy(entry, 7000);
      expect(decodeEntry(copy, json)).toMatchObject({ writtenAt: 7000, freshUntil: 7000 });
      expect(decodeEntry(entry, json)).toMatchObject({ writtenAt: 1000, freshUntil: 5000 });
      expect(identityOf(copy)).toEqual(identityOf(entry));
    });
  });

  it('round-trips header fields, tags and payload', () => {
    const entry = encodeEntry({
      kind: EntryKind.Value,
      codecId: json,
      writtenAt: 1000.5,
      freshUntil: Infinity,
      tags: [
        { tag: 'users', token: 'abcdefghijklmnop' },
        { tag: 'ünïcode', token: '0123456789abcdef' },
      ],
      payload: '{"a":1}',
    });
    const header = decodeEntry(entry, json);
    expect(header.kind).toBe(EntryKind.Value);
    expect(header.writtenAt).toBe(1000.5);
    expect(header.freshUntil).toBe(Infinity);
    expect(header.tags).toEqual([
      { tag: 'users', token: 'abcdefghijklmnop' },
      { tag: 'ünïcode', token: '0123456789abcdef' },
    ]);
    expect(header.payload.toString()).toBe('{"a":1}');
    expect(entryIdOf(entry).toString('latin1')).toMatch(/^[A-Za-z0-9_-]{8}$/);
    expect(isEntryHead(entry.subarray(0, ENTRY_HEAD_LENGTH))).toBe(true);
  });

  it('keeps tag names holding lone surrogates (flag bit 1), and writes other entries as before', () => {
    const draft = { kind: EntryKind.Null, codecId: json, writtenAt: 1, freshUntil: 2 };
    const token = 'abcdefghijklmnop';
    const lone = encodeEntry({
      ...draft,
      tags: [
        { tag: 't\uD800', token },
        { tag: 't\uFFFD%', token },
      ],
    });
    expect(decodeEntry(lone, json).tags).toEqual([
      { tag: 't\uD800', token },
      { tag: 't\uFFFD%', token },
    ]);
    expect(tagStampsOf(lone)).toEqual(decodeEntry(lone, json).tags);
    expect(lone[3]).toBe(0b11);
    expect(lone.includes('t%uD800')).toBe(true);
    const wellFormed = encodeEntry({ ...draft, tags: [{ tag: 't\uFFFD%', token }] });
    expect(wellFormed[3]).toBe(0b01);
    expect(wellFormed.includes(Buffer.from('t\uFFFD%'))).toBe(true);
    expect(decodeEntry(wellFormed, json).tags).toEqual([{ tag: 't\uFFFD%', token }]);
  });

  it('encodes null and undefined without a payload', () => {
    for (const kind of [EntryKind.Null, EntryKind.Undefined]) {
      const header = decodeEntry(
        encodeEntry({ kind, codecId: json, writtenAt: 1, freshUntil: 2 }),
        json,
      );
      expect(header.kind).toBe(kind);
      expect(header.payload.length).toBe(0);
    }
  });

  it('accepts a Buffer payload as is', () => {
    const entry = encodeEntry({
      kind: EntryKind.Value,
      codecId: json,
      writtenAt: 1,
      freshUntil: 2,
      payload: Buffer.from([0, 255]),
    });
    expect([...decodeEntry(entry, json).payload]).toEqual([0, 255]);
  });

  it.each([
    ['foreign bytes', Buffer.from('{"not":"ours"}'), 'not-an-entry'],
    [
      'a newer format',
      Buffer.concat([Buffer.from([0xca, 2]), Buffer.alloc(40)]),
      'unsupported-version',
    ],
    [
      'an unknown kind',
      Buffer.concat([Buffer.from([0xca, 1, 9]), Buffer.alloc(40)]),
      'not-an-entry',
    ],
  ])('refuses %s', (_, bytes, reason) => {
    expect(() => decodeEntry(bytes, json)).toThrow(expect.objectContaining({ reason }) as Error);
  });

  it('refuses entries written by another codec, naming both', () => {
    const entry = encodeEntry({
      kind: EntryKind.Value,
      codecId: encodeCodecId('msgpack'),
      writtenAt: 1,
      freshUntil: 2,
      payload: 'x',
    });
    expect(() => decodeEntry(entry, json)).toThrow(
      /written by codec "msgpack", this read expects "json"/,
    );
  });

  it('refuses truncated entries', () => {
    const entry = encodeEntry({
      kind: EntryKind.Null,
      codecId: json,
      writtenAt: 1,
      freshUntil: 2,
      tags: [{ tag: 't', token: 'abcdefghijklmnop' }],
    });
    for (let length = 30; length < entry.length; length++) {
      expect(() => decodeEntry(entry.subarray(0, length), json)).toThrow(EntryFormatError);
    }
    expect(() => decodeEntry(Buffer.concat([entry, Buffer.from('x')]), json)).toThrow(/truncated/);
  });

  it('validates tags on the way in', () => {
    const draft = { kind: EntryKind.Null, codecId: json, writtenAt: 1, freshUntil: 2 };
    expect(() => encodeEntry({ ...draft, tags: [{ tag: '', token: 'abcdefghijklmnop' }] })).toThrow(
      RangeError,
    );
    expect(() => encodeEntry({ ...draft, tags: [{ tag: 'x', token: 'short' }] })).toThrow(
      RangeError,
    );
    const many = Array.from({ length: 256 }, (_, i) => ({
      tag: `t${i}`,
      token: 'abcdefghijklmnop',
    }));
    expect(() => encodeEntry({ ...draft, tags: many })).toThrow(/at most 255 tags/);
  });

  it('tells lease markers from entries', () => {
    expect(isLeaseMarker(Buffer.from(`${LEASE_MARKER_PREFIX}abc`))).toBe(true);
    expect(isLeaseMarker(Buffer.from(LEASE_MARKER_PREFIX))).toBe(false);
    expect(isLeaseMarker(Buffer.from('CA~other~abc'))).toBe(false);
    expect(
      isLeaseMarker(
        encodeEntry({ kind: EntryKind.Null, codecId: json, writtenAt: 1, freshUntil: 2 }),
      ),
    ).toBe(false);
  });

  it('decodes any byte string to an entry or an EntryFormatError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, withMagic) => {
        const data = Buffer.from(bytes);
        if (withMagic && data.length > 2) {
          data[0] = 0xca;
          data[1] = 1;
        }
        try {
          decodeEntry(data, json);
        } catch (error) {
          expect(error).toBeInstanceOf(EntryFormatError);
        }
      }),
      { seed: 20261126, numRuns: 500 },
    );
  });

  it('round-trips arbitrary drafts', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true }),
        fc.double({ noNaN: true }),
        fc.array(
          fc.record({
            // Lone surrogates and `%` among them: at most 6 bytes a unit once encoded (`%uD800`).
            tag: fc.string({
              minLength: 1,
              maxLength: 40,
              unit: fc.constantFrom('a', ':', '%', 'u', 'D800', '\uD800', '\uDFFF', '\uFFFD', 'ü'),
            }),
            token: fc.string({ minLength: 16, maxLength: 16, unit: 'binary-ascii' }),
          }),
          { maxLength: 5 },
        ),
        fc.uint8Array({ maxLength: 100 }),
        (writtenAt, freshUntil, tags, payload) => {
          const entry = encodeEntry({
            kind: EntryKind.Value,
            codecId: json,
            writtenAt,
            freshUntil,
            tags,
            payload: Buffer.from(payload),
          });
          const header = decodeEntry(entry, json);
          expect(header.writtenAt).toBe(writtenAt);
          expect(header.freshUntil).toBe(freshUntil);
          expect(header.tags ?? []).toEqual(tags);
          expect([...header.payload]).toEqual([...payload]);
        },
      ),
      { seed: 20261126, numRuns: 300 },
    );
  });
});
