/*
 * The metadata layer on its own: key plans compiled at decoration, the method record's rules,
 * class configuration inheritance, the precedence readers, and the call hook the interceptor
 * fills. Only metadata and decorator modules are loaded here: the interceptor is not.
 */
import { Cacheable } from '../../../lib/decorators/cacheable.decorator';
import { CacheConfig } from '../../../lib/decorators/cache-config.decorator';
import { CacheTypeError } from '../../../lib/errors/cache-type-error';
import type { CacheConfigMetadata, StoreMetadata } from '../../../lib/metadata/cache-metadata';
import { handleCall, installCallHandler } from '../../../lib/metadata/interception-hook';
import {
  compileKey,
  isKeyed,
  keyedPositions,
  parseKeyTemplate,
  templateIndexes,
} from '../../../lib/metadata/key-template';
import {
  classConfigFor,
  conditionOf,
  freshnessOf,
  managerNameOf,
  ttlOf,
} from '../../../lib/metadata/metadata-reader';
import {
  DEFAULT_MANAGER_NAME,
  currentClassConfigVersion,
  defineClassConfig,
  recordOfTrampoline,
} from '../../../lib/metadata/metadata-store';
import { MethodRecord } from '../../../lib/metadata/method-record';

const store = (over: Partial<StoreMetadata> = {}): StoreMetadata => ({
  key: { kind: 'default' },
  ...over,
});

describe('key plans', () => {
  it('are compiled once, at decoration: templates parsed, functions kept, absent = default', () => {
    const fn = (id: number) => `u:${id}`;
    expect(compileKey(undefined, 'key')).toEqual({ kind: 'default' });
    expect(compileKey(fn, 'key')).toEqual({ kind: 'function', fn });
    expect(compileKey('u:{0}:{1.id}', 'key')).toEqual({
      kind: 'template',
      source: 'u:{0}:{1.id}',
      parts: [
        { text: 'u:' },
        { index: 0, path: [], source: '{0}' },
        { text: ':' },
        { index: 1, path: ['id'], source: '{1.id}' },
      ],
    });
  });

  it('refuse malformed templates and other types with a coded TypeError naming the option', () => {
    for (const bad of ['', 'u:{', 'u:}', 'u:{x}', '{0.}']) {
      expect(() => parseKeyTemplate(bad, '@Cacheable() key')).toThrow(CacheTypeError);
      expect(() => parseKeyTemplate(bad, '@Cacheable() key')).toThrow(/@Cacheable\(\) key/);
    }
    try {
      compileKey(42 as never, '@Cacheable() key');
      throw new Error('unreachable');
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
      expect((error as CacheTypeError).code).toBe('ERR_CACHE_ASIDE_INVALID_ARGUMENT');
    }
  });

  it('tell which argument positions take part in a key', () => {
    const template = compileKey('{0}:{2.id}', 'key');
    if (template.kind !== 'template') throw new Error('expected a template');
    expect([...templateIndexes(template)]).toEqual([0, 2]);
    const keyed = keyedPositions(template);
    expect([0, 1, 2].map((i) => isKeyed(keyed, i))).toEqual([true, false, true]);
    const twoParameters = keyedPositions(compileKey((a: number, b: number) => `${a}${b}`, 'k'));
    expect([0, 1, 2].map((i) => isKeyed(twoParameters, i))).toEqual([true, true, false]);
    expect(isKeyed(keyedPositions({ kind: 'default' }), 9)).toBe(true);
  });
});

describe('method records', () => {
  const original = async () => 1;

  it('refuse contradicting decorators with a DECORATOR_MISUSE code', () => {
    const record = new MethodRecord('find', false, original);
    record.setCacheable(store());
    for (const attempt of [() => record.setCacheable(store()), () => record.setPut(store())]) {
      try {
        attempt();
        throw new Error('unreachable');
      } catch (error) {
        expect((error as CacheTypeError).code).toBe('ERR_CACHE_ASIDE_DECORATOR_MISUSE');
      }
    }
  });

  it('refuse @CacheTtl alone on the first call', () => {
    const record = new MethodRecord('find', false, original);
    record.setTtl(5);
    expect(() => record.assertComplete()).toThrow(/@CacheTtl on find has nothing to apply to/);
  });

  it('describe themselves with the class once it is located', () => {
    class Repo {
      find() {}
    }
    const trampoline = Object.getOwnPropertyDescriptor(Repo.prototype, 'find')!.value as () => void;
    const record = new MethodRecord('find', false, original, trampoline);
    record.locate(new Repo());
    expect(record.declaringClass).toBe(Repo);
    expect(record.describe()).toBe('Repo.find');
  });
});

describe('class configuration', () => {
  it('is inherited field by field, the nearest class winning, and re-read when one is added', () => {
    class Base {}
    class Child extends Base {}
    defineClassConfig(Base, { namespace: 'base', ttl: 10 });
    expect(classConfigFor(Child)).toEqual({ namespace: 'base', ttl: 10 });
    const before = currentClassConfigVersion();
    defineClassConfig(Child, { ttl: 20 });
    expect(currentClassConfigVersion()).toBeGreaterThan(before);
    expect(classConfigFor(Child)).toEqual({ namespace: 'base', ttl: 20 });
    expect(() => defineClassConfig(Child, {})).toThrow(/@CacheConfig appears twice on Child/);
  });

  it('loses to the method: TTL, manager, condition and freshness', () => {
    const config: CacheConfigMetadata = {
      ttl: 30,
      manager: 'sessions',
      condition: () => true,
      grace: 5,
      eagerRefresh: 0.5,
    };
    const record = new MethodRecord('find', false, async () => 1);
    const own = () => false;
    expect(ttlOf(record, store(), config)).toBe(30);
    expect(ttlOf(record, store({ ttl: 12 }), config)).toBe(12);
    record.setTtl(7);
    expect(ttlOf(record, store({ ttl: 12 }), config)).toBe(7);
    expect(managerNameOf(store(), {})).toBe(DEFAULT_MANAGER_NAME);
    expect(managerNameOf(store(), config)).toBe('sessions');
    expect(managerNameOf(store({ manager: 'x' }), config)).toBe('x');
    expect(conditionOf(store({ condition: own }), config)).toBe(own);
    expect(freshnessOf({ ...store(), grace: 1 }, config)).toEqual({ grace: 1, eagerRefresh: 0.5 });
  });
});

describe('the call hook', () => {
  @CacheConfig({ namespace: 'hooked' })
  class Repo {
    @Cacheable({ key: 'r:{0}' })
    async find(id: number): Promise<number> {
      return id * 2;
    }
  }

  it('without the interceptor loaded, a decorated call rejects, naming the fix', async () => {
    await expect(new Repo().find(1)).rejects.toThrow(
      /cache interceptor was never loaded: import the decorators from 'cache-aside'/,
    );
  });

  it('hands every call to the installed handler, with the record, this and the arguments', async () => {
    const repo = new Repo();
    const record = recordOfTrampoline(
      Object.getOwnPropertyDescriptor(Repo.prototype, 'find')!.value,
    )!;
    expect(record).toBeDefined();
    const seen: unknown[] = [];
    installCallHandler((r, thisArg, args) => {
      seen.push(r, thisArg, args);
      return Promise.resolve(r.original.apply(thisArg, args));
    });
    await expect(repo.find(4)).resolves.toBe(8);
    expect(seen).toEqual([record, repo, [4]]);
    await expect(handleCall(record, repo, [5])).resolves.toBe(10);
  });
});
