import calculateSlot from 'cluster-key-slot';
import fc from 'fast-check';
import { compileKeyBuilder, escapeGlob, methodIdentity } from '../../../lib/interceptor/cache-key';
import type { KeyPlan } from '../../../lib/metadata/cache-metadata';
import { compileKey, parseKeyTemplate } from '../../../lib/metadata/key-template';

const SEED = Number(process.env.FC_SEED ?? 0x5eed_2024);
const params = { seed: SEED, numRuns: Number(process.env.FC_RUNS ?? 500) };

function buildKey(plan: KeyPlan, args: unknown[], thisArg?: unknown, namespace?: string) {
  return compileKeyBuilder(plan, namespace, 'Repo.find', 'key of Repo.find')(thisArg, args);
}
function buildPattern(plan: KeyPlan, args: unknown[], namespace?: string) {
  return compileKeyBuilder(
    plan,
    namespace,
    'Repo.find',
    'pattern of Repo.find',
    'pattern',
  )(undefined, args);
}

const key = (template: string, ...args: unknown[]) => buildKey(compileKey(template, 'key'), args);
const pattern = (template: string, ...args: unknown[]) =>
  buildPattern(compileKey(template, 'pattern'), args);

describe('key templates', () => {
  it('parses text and placeholders with property paths', () => {
    expect(parseKeyTemplate('user:{0}:{1.address.zip}', 'key')).toEqual([
      { text: 'user:' },
      { index: 0, path: [], source: '{0}' },
      { text: ':' },
      { index: 1, path: ['address', 'zip'], source: '{1.address.zip}' },
    ]);
  });

  it('fills placeholders with strings, numbers, bigints, booleans and Dates', () => {
    expect(key('u:{0}:{1}:{2}:{3}:{4}', 'ann', 4.5, 10n, true, new Date(0))).toBe(
      'u:ann:4.5:10:true:1970-01-01T00%3A00%3A00.000Z',
    );
    expect(key('u:{0.id}:{0.tags.length}', { id: 7, tags: ['a', 'b'] })).toBe('u:7:2');
    expect(key('u:{0}', -0)).toBe('u:0');
  });

  it('reads getters along a property path', () => {
    class User {
      constructor(private readonly first: string) {}
      get handle(): string {
        return `@${this.first}`;
      }
    }
    expect(key('u:{0.handle}', new User('ann'))).toBe('u:%40ann');
  });

  it('writes literal braces as {{ and }}, so a developer can place a hash tag on purpose', () => {
    expect(key('{{users}}:{0}', 5)).toBe('{users}:5');
    expect(calculateSlot(key('{{users}}:{0}', 5))).toBe(calculateSlot(key('{{users}}:{0}', 6)));
  });

  it('percent-encodes braces (and %) in values, so a value cannot pick the Cluster slot', () => {
    expect(key('user:{0}', '{admin}')).toBe('user:%7Badmin%7D');
    expect(key('user:{0}', '100%')).toBe('user:100%25');
    // unescaped, '{admin}' would have sent every such key to the slot of "admin"
    expect(calculateSlot('user:{admin}')).toBe(calculateSlot('admin'));
    expect(calculateSlot(key('user:{0}', '{admin}'))).toBe(calculateSlot('user:%7Badmin%7D'));
  });

  it('adds no brace to a key that the template did not write (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string(), (a, b) => {
        expect(key('t:{0}:{1}', a, b)).not.toMatch(/[{}]/);
      }),
      params,
    );
  });

  it.each<[string, unknown[], RegExp]>([
    ['a missing argument', [], /\{0\} is undefined \(argument 0\)/],
    ['null', [null], /\{0\} is null/],
    [
      'an object',
      [{ id: 1 }],
      /\{0\} is an object .*Point the placeholder at such a property, or use a key function/,
    ],
    ['an array', [[1]], /\{0\} is an array/],
    ['an invalid Date', [new Date(Number.NaN)], /\{0\} is an object/],
  ])('refuses %s rather than writing "undefined" or "[object Object]"', (_name, args, message) => {
    expect(() => key('u:{0}', ...args)).toThrow(message);
    expect(() => key('u:{0}', ...args)).toThrow(/^\[cache-aside\] key of Repo\.find "u:\{0\}": /);
  });

  it('refuses a path through a missing value, saying how far it got', () => {
    expect(() => key('u:{0.a.b.c}', { a: {} })).toThrow(
      /\{0\.a\.b\.c\} is undefined \(argument 0\.a\.b\)/,
    );
  });

  it('refuses a template that renders to an empty key', () => {
    expect(() => key('{0}', '')).toThrow(/key of Repo\.find "\{0\}" produced an empty key/);
  });

  it.each([
    ['{}', /"\{\}" is not a placeholder/],
    ['{a}', /"\{a\}" is not a placeholder/],
    ['{0.}', /"\{0\.\}" is not a placeholder/],
    ['{ 0 }', /"\{ 0 \}" is not a placeholder/],
    ['x{0', /"\{" at position 1 is never closed/],
    ['x}', /a lone "\}" at position 1/],
  ])('refuses the malformed template %p', (template, message) => {
    expect(() => parseKeyTemplate(template, 'key')).toThrow(message);
  });
});

describe('key functions', () => {
  it('are called with the arguments and the instance as this', () => {
    const plan = compileKey(function (this: { tenant: string }, id: number) {
      return `${this.tenant}:${id}`;
    }, 'key');
    expect(buildKey(plan, [3], { tenant: 'acme' })).toBe('acme:3');
  });

  it('are used as they are (their braces included: the function is the developer writing)', () => {
    expect(
      buildKey(
        compileKey(() => '{t}:1', 'key'),
        [],
      ),
    ).toBe('{t}:1');
  });

  it('must return a non-empty string', () => {
    expect(() => buildKey(compileKey((() => 42) as never, 'key'), [])).toThrow(
      /returned number 42/,
    );
  });
});

describe('default keys', () => {
  it('are Class.method:<encoded arguments>', () => {
    expect(buildKey({ kind: 'default' }, [1, 'a'])).toBe('Repo.find:n1,s1:a');
  });
});

describe('patterns', () => {
  it('encode values from the arguments (glob characters included) but not the template text', () => {
    expect(pattern('user:{0}:*', 'a*b?[c]\\')).toBe('user:a%2Ab%3F%5Bc%5D%5C:*');
    expect(pattern('user:?{0}', 'x')).toBe('user:?x');
  });

  it('escape a value so that MATCH takes it literally (property)', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const regex = globToRegExp(escapeGlob(text));
        expect(regex.test(text)).toBe(true);
        expect(regex.test(`${text}x`)).toBe(false);
      }),
      params,
    );
  });

  it('have no default', () => {
    expect(() => buildPattern({ kind: 'default' }, [])).toThrow(/has no pattern/);
  });
});

describe('method identity', () => {
  class Base {}
  class Child extends Base {}
  const Anonymous = (() => class {})();

  it('names the class and method, the declaring class when another, and statics', () => {
    expect(methodIdentity(Base, Base, 'find', false)).toBe('Base.find');
    expect(methodIdentity(Child, Base, 'find', false)).toBe('Child(Base).find');
    expect(methodIdentity(Child, undefined, 'find', false)).toBe('Child.find');
    expect(methodIdentity(undefined, Base, 'find', false)).toBe('Base.find');
    expect(methodIdentity(Base, Base, 'all', true)).toBe('Base.static.all');
    expect(methodIdentity(Anonymous, Anonymous, 'x', false)).toBe('(anonymous).x');
  });

  it('escapes braces in names, which may be set to anything', () => {
    expect(methodIdentity(Base, Base, '[{tag}]', false)).toBe('Base.[%7Btag%7D]');
  });

  it('joins the namespace with a colon', () => {
    expect(key('k')).toBe('k');
    expect(buildKey(compileKey('k', 'key'), [], undefined, 'users')).toBe('users:k');
  });
});

/** Redis MATCH, for the characters escapeGlob deals with. */
function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '\\') source += (glob[++i] ?? '').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else if (c === '[') source += '[';
    else if (c === ']') source += ']';
    else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
