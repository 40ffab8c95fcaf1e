import { classifyHead, HEAD_READ_LENGTH } from '../../../lib/cli/entry-head';
import { readStoredValue } from '../../../lib/cli/stored-value';
import { decodePayload } from '../../../lib/cli/value-decoder';
import { EntryKind, encodeCodecId, encodeEntry } from '../../../lib/entry/entry-format';
import { newLeaseMarker } from '../../../lib/manager/load-lease';
import { CompressedSerializer } from '../../../lib/serializers/compressed.serializer';
import { MsgpackSerializer } from '../../../lib/serializers/msgpack.serializer';

const entry = (codec: string, payload?: Buffer | string, kind = EntryKind.Value, tags = false) =>
  encodeEntry({
    kind,
    codecId: encodeCodecId(codec),
    writtenAt: 1000,
    freshUntil: 2000,
    payload,
    ...(tags ? { tags: [{ tag: 'users', token: 'a'.repeat(16) }] } : {}),
  });

describe('reading stored bytes without knowing the serializer', () => {
  it('reads an entry with the codec it names, its tags and payload', () => {
    const stored = readStoredValue(entry('msgpack', Buffer.from([1, 2]), EntryKind.Value, true));
    expect(stored).toMatchObject({
      type: 'entry',
      kind: 'value',
      codec: 'msgpack',
      writtenAt: 1000,
      freshUntil: 2000,
      tags: [{ tag: 'users', token: 'a'.repeat(16) }],
    });
    expect(readStoredValue(entry('json', undefined, EntryKind.Null))).toMatchObject({
      kind: 'null',
    });
  });

  it('tells a lease, a foreign value and a damaged entry apart', () => {
    expect(readStoredValue(Buffer.from(newLeaseMarker()))).toEqual({ type: 'lease' });
    expect(readStoredValue(Buffer.from('hello'))).toEqual({
      type: 'unreadable',
      reason: 'not a cache-aside entry (written by something else)',
    });
    const whole = entry('json', '{}');
    expect(readStoredValue(whole.subarray(0, 20))).toMatchObject({
      reason: expect.stringMatching(/truncated/) as string,
    });
    expect(readStoredValue(whole.subarray(0, 31))).toMatchObject({
      reason: expect.stringMatching(/cut short \(truncated\)/) as string,
    });
    const newer = Buffer.from(whole);
    newer[1] = 9;
    expect(readStoredValue(newer)).toMatchObject({
      reason: expect.stringMatching(/format version 9/) as string,
    });
  });

  it('classifies a value from its head alone', () => {
    const whole = entry('json', '{"a":1}');
    expect(classifyHead(whole.subarray(0, HEAD_READ_LENGTH), whole.length)).toEqual({
      type: 'entry',
      freshUntil: 2000,
    });
    expect(classifyHead(Buffer.from(newLeaseMarker()), 30)).toEqual({ type: 'lease' });
    expect(classifyHead(Buffer.from('plain text value, not ours at all'), 33)).toEqual({
      type: 'undecodable',
    });
    expect(classifyHead(whole.subarray(0, 20), 20)).toEqual({ type: 'undecodable' });
  });

  it('decodes the built-in codecs, and leaves a custom one to --raw', () => {
    expect(decodePayload('json', Buffer.from('{"a":[1,2]}'))).toEqual({
      decoded: true,
      value: { a: [1, 2] },
    });
    const packed = new MsgpackSerializer().serialize({ b: 'x' });
    expect(decodePayload('msgpack', packed)).toEqual({ decoded: true, value: { b: 'x' } });
    const gzip = new CompressedSerializer(new MsgpackSerializer(), { threshold: 0 });
    expect(decodePayload('gzip+msgpack', gzip.serialize({ c: 'y'.repeat(100) }))).toEqual({
      decoded: true,
      value: { c: 'y'.repeat(100) },
    });
    expect(decodePayload('ct:User', Buffer.from('{"id":1}'))).toMatchObject({
      decoded: true,
      value: { id: 1 },
      note: expect.stringMatching(/class-transformer/) as string,
    });
    expect(decodePayload('my-codec', Buffer.from('x'))).toMatchObject({
      decoded: false,
      unknownCodec: true,
    });
    expect(decodePayload('json', Buffer.from('{oops'))).toMatchObject({
      decoded: false,
      unknownCodec: false,
      reason: expect.stringMatching(/^the json serializer refuses the payload/) as string,
    });
  });
});
