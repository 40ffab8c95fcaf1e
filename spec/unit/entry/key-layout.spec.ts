import fc from 'fast-check';
import { compileGlob } from '../../../lib/entry/glob';
import {
  busChannelOf,
  fullKeyOf,
  fullPatternsOf,
  keyOfFullKey,
  tagKeyOf,
} from '../../../lib/entry/key-layout';

/** Keys drawn often from the characters that matter here: the marker, globs, the delimiter. */
const keyChars = fc.constantFrom(
  ...['~', '~', 't', 'l', '1', ':', 'a', 'u', '?', '*', '[', ']', '\\', '%'],
  ...['\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uFFFD', '%u', 'D800'],
);
const key = fc.string({ unit: keyChars, minLength: 1, maxLength: 8 });
const prefix = fc.constantFrom('', 'app:', 'app:x:', 'a{1}:');

describe('key layout', () => {
  it('puts every internal name under the prefix', () => {
    expect(tagKeyOf('app:', 'users')).toBe('app:~t:users');
    expect(busChannelOf('app:')).toBe('app:~l1');
  });

  it('never gives an entry key the name of a tag key or of the bus channel', () => {
    fc.assert(
      fc.property(prefix, key, key, (p, k, tag) => {
        const full = fullKeyOf(p, k);
        expect(full.startsWith(p)).toBe(true);
        expect(utf8(full)).not.toBe(utf8(tagKeyOf(p, tag)));
        expect(full).not.toBe(busChannelOf(p));
      }),
    );
  });

  it('gives two different keys two different full keys, and reads the key back', () => {
    fc.assert(
      fc.property(prefix, key, key, (p, a, b) => {
        if (a !== b) expect(fullKeyOf(p, a)).not.toBe(fullKeyOf(p, b));
        expect(keyOfFullKey(p, fullKeyOf(p, a))).toBe(a);
      }),
    );
  });

  it('keeps the tags of managers whose prefixes nest apart (app: + x:t vs app:x: + t)', () => {
    expect(tagKeyOf('app:', 'x:t')).not.toBe(tagKeyOf('app:x:', 't'));
    fc.assert(
      fc.property(
        key,
        key,
        fc.string({ unit: fc.constantFrom('x', ':', 'y'), minLength: 1 }),
        (a, b, nest) => {
          expect(utf8(tagKeyOf('app:', a))).not.toBe(utf8(tagKeyOf(`app:${nest}`, b)));
        },
      ),
    );
  });

  it('gives two different tags two different version keys, as Redis receives them (UTF-8)', () => {
    fc.assert(
      fc.property(prefix, key, key, (p, a, b) => {
        if (a !== b) expect(utf8(tagKeyOf(p, a))).not.toBe(utf8(tagKeyOf(p, b)));
      }),
    );
  });

  it('gives tags with lone surrogates version keys of their own, and keeps every well-formed tag', () => {
    const tags = ['t\uD800', 't\uDFFF', 't\uFFFD', 't%uD800', 'u:t%uD800', '~tu:t'];
    expect(tags.map((tag) => tagKeyOf('app:', tag))).toEqual([
      'app:~tu:t%uD800',
      'app:~tu:t%uDFFF',
      'app:~t:t\uFFFD',
      'app:~t:t%uD800',
      'app:~t:u:t%uD800',
      'app:~t:~tu:t',
    ]);
  });

  it('gives keys with lone surrogates keys of their own, and keeps every well-formed key', () => {
    const keys = ['x\uD800', 'x\uDFFF', 'x\uFFFD', 'x%uD800', '~ux%uD800', 'x%25\uD800'];
    const full = keys.map((k) => fullKeyOf('app:', k));
    expect(new Set(full).size).toBe(keys.length);
    expect(full.slice(0, 4)).toEqual([
      'app:~ux%uD800',
      'app:~ux%uDFFF',
      'app:x\uFFFD',
      'app:x%uD800',
    ]);
    expect(fullKeyOf('app:', 'a\uD83D\uDE00b')).toBe('app:a\uD83D\uDE00b'); // a pair is text
    for (const [i, k] of keys.entries()) expect(keyOfFullKey('app:', full[i])).toBe(k);
    expect(full.every((f) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(f))).toBe(true);
  });

  it('has pattern globs that match the full key exactly when the key matches the glob', () => {
    const glob = fc.string({
      unit: fc.constantFrom(
        ...['~', 'a', '?', '*', '[~a]', '[^~]', '\\~', ':', '%', '[', '\\%', '\\'],
        ...['\uD800', '\uDC00', '\\\uDFFF', '[\uD800]', 'u', '%u'],
      ),
      minLength: 1,
      maxLength: 5,
    });
    fc.assert(
      fc.property(prefix, glob, key, (p, g, k) => {
        const full = fullKeyOf(p, k);
        const matched = fullPatternsOf(p, g).some((pattern) => compileGlob(pattern).test(full));
        // Never a miss (that would leave a stale entry); an extra match only where the key is
        // stored escaped, which costs a reload, never a stale read.
        if (compileGlob(g).test(k)) expect(matched).toBe(true);
        else if (matched) expect(k.startsWith('~') || isIllFormed(k)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

function isIllFormed(text: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

/** A string as a client sends it to Redis: UTF-8, where a lone surrogate becomes U+FFFD. */
function utf8(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}
