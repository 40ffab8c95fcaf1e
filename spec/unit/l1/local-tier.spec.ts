import { LocalTier } from '../../../lib/l1/local-tier';
import type { Codec } from '../../../lib/entry/codec';
import { JsonSerializer } from '../../../lib/serializers/json.serializer';

const codec: Codec = { serializer: new JsonSerializer(), id: Buffer.from('json') };

describe('LocalTier', () => {
  it('returns live entries and drops expired ones', () => {
    const tier = new LocalTier({ maxEntries: 10 });
    tier.set('a', 1, codec, 100, 10, undefined, 0);
    expect(tier.get('a', 99)?.value).toBe(1);
    expect(tier.get('a', 100)).toBeUndefined();
    expect(tier.size).toBe(0);
    expect(tier.bytes).toBe(0);
  });

  it('evicts the least recently used entry beyond maxEntries', () => {
    const tier = new LocalTier({ maxEntries: 2 });
    tier.set('a', 1, codec, Infinity, 1, undefined, 0);
    tier.set('b', 2, codec, Infinity, 1, undefined, 0);
    tier.get('a', 0);
    tier.set('c', 3, codec, Infinity, 1, undefined, 0);
    expect(tier.get('b', 0)).toBeUndefined();
    expect(tier.get('a', 0)?.value).toBe(1);
    expect(tier.get('c', 0)?.value).toBe(3);
  });

  it('keeps within maxBytes and never holds an entry larger than the bound', () => {
    const tier = new LocalTier({ maxEntries: 100, maxBytes: 100 });
    tier.set('a', 1, codec, Infinity, 60, undefined, 0);
    tier.set('b', 2, codec, Infinity, 60, undefined, 0);
    expect(tier.get('a', 0)).toBeUndefined();
    expect(tier.bytes).toBe(60);
    tier.set('huge', 3, codec, Infinity, 101, undefined, 0);
    expect(tier.get('huge', 0)).toBeUndefined();
    expect(tier.bytes).toBe(60);
  });

  it('caps an entry at its own ttl and refuses one already expired', () => {
    const tier = new LocalTier({ maxEntries: 10, ttl: 1 });
    tier.set('a', 1, codec, Infinity, 1, undefined, 0);
    expect(tier.get('a', 999)?.value).toBe(1);
    expect(tier.get('a', 1000)).toBeUndefined();
    tier.set('old', 1, codec, 5, 1, undefined, 10);
    expect(tier.size).toBe(0);
  });

  it('replaces an entry in place, accounting bytes once', () => {
    const tier = new LocalTier({ maxEntries: 10 });
    tier.set('a', 1, codec, Infinity, 10, undefined, 0);
    tier.set('a', 2, codec, Infinity, 20, undefined, 0);
    expect(tier.bytes).toBe(20);
    expect(tier.get('a', 0)?.value).toBe(2);
  });

  it('drops by key, pattern, tag and all, counting each invalidation', () => {
    const tier = new LocalTier({ maxEntries: 10 });
    tier.set('c:user:1', 1, codec, Infinity, 1, ['users'], 0);
    tier.set('c:user:2', 2, codec, Infinity, 1, undefined, 0);
    tier.set('c:order:1', 3, codec, Infinity, 1, ['orders'], 0);
    tier.set('c:other', 4, codec, Infinity, 1, undefined, 0);
    const before = tier.epoch;
    tier.deleteTagged(['users']);
    expect(tier.get('c:user:1', 0)).toBeUndefined();
    tier.deleteMatching(/^c:user:/);
    expect(tier.get('c:user:2', 0)).toBeUndefined();
    tier.invalidate('c:order:1');
    tier.invalidate('c:missing');
    expect(tier.size).toBe(1);
    tier.clear();
    expect(tier.size).toBe(0);
    expect(tier.epoch).toBe(before + 5);
  });
});
