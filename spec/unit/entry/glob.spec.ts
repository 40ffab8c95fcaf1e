import fc from 'fast-check';
import {
  assertGlobLength,
  compileGlob,
  escapeGlob,
  MAX_GLOB_LENGTH,
} from '../../../lib/entry/glob';
import { InvalidationQueue } from '../../../lib/manager/invalidation-queue';

/**
 * The translation the matcher replaced, kept as an oracle for short patterns: a RegExp is exact
 * for globs, only exponentially slow on some of them.
 */
function regExpOracle(glob: string): RegExp {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const escapeClass = (char: string) => (/[\\\]^-]/.test(char) ? `\\${char}` : char);
  let source = '^';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i];
    if (char === '*') source += '[\\s\\S]*';
    else if (char === '?') source += '[\\s\\S]';
    else if (char === '\\' && i + 1 < glob.length) source += escape(glob[++i]);
    else if (char === '[') {
      let j = i + 1;
      const negate = glob[j] === '^';
      if (negate) j++;
      const parts: string[] = [];
      while (j < glob.length && glob[j] !== ']') {
        let start = glob[j];
        if (start === '\\' && j + 1 < glob.length) start = glob[++j];
        if (glob[j + 1] === '-' && j + 2 < glob.length && glob[j + 2] !== ']') {
          let end = glob[j + 2];
          j += 2;
          if (end === '\\' && j + 1 < glob.length) end = glob[++j];
          const [low, high] = start <= end ? [start, end] : [end, start];
          parts.push(`${escapeClass(low)}-${escapeClass(high)}`);
        } else parts.push(escapeClass(start));
        j++;
      }
      if (j >= glob.length) source += '\\[';
      else {
        source += `[${negate ? '^' : ''}${parts.join('')}]`;
        i = j;
      }
    } else source += escape(char);
  }
  return new RegExp(source + '$');
}

describe('glob', () => {
  describe('compileGlob()', () => {
    it.each([
      ['user:*', 'user:1', true],
      ['user:*', 'order:1', false],
      ['user:?', 'user:12', false],
      ['user:[12]', 'user:2', true],
      ['user:[^12]', 'user:2', false],
      ['user:[a-c]', 'user:b', true],
      ['a\\*b', 'a*b', true],
      ['a\\*b', 'axb', false],
      ['a[b', 'a[b', true],
      ['x.y(z)', 'x.y(z)', true],
      ['x.y', 'xzy', false],
      ['user:[z-a]', 'user:m', true],
      ['user:[^z-a]', 'user:m', false],
      ['a[\\]]b', 'a]b', true],
      ['a[-x]b', 'a-b', true],
      ['a[b', 'a[c', false],
      ['*', '', true],
      ['a**b', 'ab', true],
      ['*a*b*', 'xxaxxbxx', true],
      ['*a*b', 'xxaxxbxxc', false],
    ])('%s against %s is %s', (glob, key, expected) => {
      expect(compileGlob(glob).test(key)).toBe(expected);
    });

    it('agrees with a RegExp translation on any short pattern and text', () => {
      const unit = fc.constantFrom('a', 'b', 'z', '-', '[', ']', '^', '\\', '*', '?', ':');
      fc.assert(
        fc.property(
          fc.string({ unit, maxLength: 8 }),
          fc.string({ unit, maxLength: 10 }),
          (glob, text) => {
            expect(compileGlob(glob).test(text)).toBe(regExpOracle(glob).test(text));
          },
        ),
        { seed: 20261201, numRuns: 5000 },
      );
    });

    it('matches a pathological pattern without backtracking exponentially', () => {
      // '*a*a*…*a*b' against a run of 'a's: a backtracking RegExp needs ~C(200, 40) steps
      // (it never finishes); the matcher needs at most pattern × text = 16,000.
      const glob = '*a'.repeat(40) + '*b';
      const text = 'a'.repeat(200);
      const started = process.hrtime.bigint();
      expect(compileGlob(glob).test(text)).toBe(false);
      expect(compileGlob(glob).test(text + 'b')).toBe(true);
      // Generous: the point is milliseconds against hours, not a speed target.
      expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
    });
  });

  describe('escapeGlob()', () => {
    it('escapes text so that it only matches itself', () => {
      fc.assert(
        fc.property(fc.string(), fc.string(), (text, other) => {
          const matcher = compileGlob(escapeGlob(text));
          expect(matcher.test(text)).toBe(true);
          if (other !== text) expect(matcher.test(other)).toBe(false);
        }),
        { seed: 20261126, numRuns: 500 },
      );
    });
  });

  describe('assertGlobLength()', () => {
    it('refuses a pattern longer than MAX_GLOB_LENGTH with a coded RangeError', () => {
      expect(() => assertGlobLength('*'.repeat(MAX_GLOB_LENGTH))).not.toThrow();
      expect(() => assertGlobLength('*'.repeat(MAX_GLOB_LENGTH + 1))).toThrow(
        expect.objectContaining({
          name: 'RangeError',
          code: 'ERR_CACHE_ASIDE_OUT_OF_RANGE',
        }) as Error,
      );
    });
  });
});

describe('InvalidationQueue', () => {
  it('tells whether a key is covered by a pathological queued pattern in bounded time', () => {
    const queue = new InvalidationQueue(100);
    queue.add({ kind: 'pattern', match: 'c:' + '*a'.repeat(40) + '*b' });
    const started = process.hrtime.bigint();
    expect(queue.covers('c:' + 'a'.repeat(500))).toBe(false);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
  });
});
