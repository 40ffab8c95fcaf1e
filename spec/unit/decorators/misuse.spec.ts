import {
  Cacheable,
  CacheConfig,
  CacheEvict,
  CacheInterceptor,
  CachePut,
  CacheTtl,
} from '../../../lib';
import { FakeCacheManager } from './support/fake-manager';

/* eslint-disable @typescript-eslint/no-explicit-any -- a decorator with its types erased takes and returns anything */
/** The same decorator with its types erased, to reach the checks made at decoration time. */
const untyped = (decorator: unknown) => decorator as (...args: any[]) => any;
/* eslint-enable @typescript-eslint/no-explicit-any -- back to precise types */

describe('misuse', () => {
  afterEach(() => CacheInterceptor.reset());

  describe('is refused by the types', () => {
    it('on fields, getters, setters, classes and methods that do not return a Promise', () => {
      // Each decorator below must be a type error in both decorator modes: ts-jest reports an
      // unused expect-error directive as an error, so this file would not compile if one of them
      // type-checked.
      const define = () => {
        class Wrong {
          // @ts-expect-error decorates a field
          @Cacheable() name = 'x';

          // @ts-expect-error decorates a getter
          @Cacheable() get value(): Promise<number> {
            return Promise.resolve(1);
          }

          // @ts-expect-error decorates a setter
          @CacheEvict({ key: 'k' }) set value(_v: Promise<number>) {}

          // @ts-expect-error a method returning a plain value
          @Cacheable() findSync(): number {
            return 1;
          }

          // @ts-expect-error a method returning void
          @CachePut() save(): void {}

          // @ts-expect-error @CacheConfig on a method
          @CacheConfig() async m(): Promise<void> {}
        }
        return Wrong;
      };
      // ...and at run time they are errors at decoration time as well.
      expect(define).toThrow(TypeError);

      expect(() => {
        // @ts-expect-error a method decorator on a class
        @CacheTtl(5)
        class NotAMethod {}
        return NotAMethod;
      }).toThrow(TypeError);
    });
  });

  describe('fails at decoration time', () => {
    it('on a field', () => {
      expect(() => {
        class C {
          @untyped(Cacheable()) field = 1;
        }
        return C;
      }).toThrow(
        /\[cache-aside\] @Cacheable\(\) decorates methods only; it was applied to the field (C\.)?field/,
      );
    });

    it('on a getter and on a setter', () => {
      expect(() => {
        class C {
          @untyped(CacheEvict({ key: 'k' })) get x(): number {
            return 1;
          }
        }
        return C;
      }).toThrow(/decorates methods only; it was applied to the getter (C\.)?x/);
      expect(() => {
        class C {
          @untyped(CachePut()) set x(_v: number) {}
        }
        return C;
      }).toThrow(/decorates methods only; it was applied to the setter (C\.)?x/);
    });

    it('on a class, for method decorators, and on a method, for @CacheConfig', () => {
      expect(() => {
        @untyped(Cacheable())
        class Whole {}
        return Whole;
      }).toThrow(
        /@Cacheable\(\) decorates methods, not classes \(it was applied to the class Whole\); use @CacheConfig/,
      );
      expect(() => {
        class C {
          @untyped(CacheConfig()) async m(): Promise<void> {}
        }
        return C;
      }).toThrow(/@CacheConfig\(\) decorates classes only; it was applied to the method m/);
    });

    it.each([0, -1, NaN])('on a static TTL of %p, with a RangeError', (ttl) => {
      expect(() => CacheTtl(ttl)).toThrow(RangeError);
      expect(() => Cacheable({ ttl })).toThrow(RangeError);
      expect(() => CachePut({ ttl })).toThrow(RangeError);
      expect(() => CacheConfig({ ttl })).toThrow(RangeError);
      expect(() => Cacheable({ ttl })).toThrow(
        /\[cache-aside\] @Cacheable\(\) ttl must be a positive number of seconds/,
      );
    });

    it('accepts Infinity as a TTL (no expiry)', () => {
      expect(() => CacheTtl(Infinity)).not.toThrow();
    });

    it.each([
      [
        () => Cacheable({ key: 'user:{id}' }),
        /"\{id\}" is not a placeholder; use \{0\} for the first argument and \{0\.id\}/,
      ],
      [() => Cacheable({ key: 'user:{0' }), /"\{" at position 5 is never closed/],
      [() => Cacheable({ key: 'user:0}' }), /a lone "\}" at position 6/],
      [() => Cacheable({ key: '' }), /is not a valid key template: it is empty/],
      [
        () => Cacheable({ key: 5 as never }),
        /key must be a template string or a function, got number 5/,
      ],
      [() => Cacheable({ ttl: '60' as never }), /ttl must be a positive number/],
      [() => Cacheable({ condition: true as never }), /condition must be a function/],
      [() => Cacheable({ unless: 'x' as never }), /unless must be a function/],
      [() => Cacheable({ tags: ['a', ''] }), /tags must be an array of non-empty strings/],
      [() => Cacheable({ grace: -1 }), /grace must be a finite number >= 0/],
      [() => Cacheable({ eagerRefresh: 1.5 }), /eagerRefresh must be a number between 0 and 1/],
      [
        () => Cacheable({ staleWhileRevalidate: -5 }),
        /@Cacheable\(\) staleWhileRevalidate must be a finite number >= 0/,
      ],
      [
        () => Cacheable({ softTimeoutMs: 0 }),
        /@Cacheable\(\) softTimeoutMs must be a finite number > 0/,
      ],
      [
        () => CacheConfig({ hardTimeoutMs: NaN }),
        /@CacheConfig\(\) hardTimeoutMs must be a finite number > 0/,
      ],
      [
        () => Cacheable({ manager: '' }),
        /manager must be the non-empty name of a registered manager/,
      ],
      [() => Cacheable({ serializer: {} as never }), /serializer must implement serialize/],
      [
        () => Cacheable({ serializer: { serialize: String, deserialize: String }, type: Date }),
        /takes serializer or type, not both/,
      ],
      [
        () => Cacheable({ ttL: 5 } as never),
        /@Cacheable\(\) has no option "ttL"; its options are key, ttl/,
      ],
      [
        () => Cacheable('user:{0}' as never),
        /@Cacheable\(\) takes an options object, got "user:\{0\}"/,
      ],
      [() => CacheEvict({ keys: [] }), /keys must be a non-empty array/],
      [() => CacheEvict({ allEntries: 'yes' as never }), /allEntries must be true or false/],
      [() => CacheEvict({ pattern: 'a:{x}' }), /pattern "a:\{x\}" is not a valid key template/],
      [() => CacheConfig({ namespace: '' }), /namespace must be a non-empty string/],
      [
        () => CacheTtl('5' as never),
        /@CacheTtl\(\) takes seconds or a function of the result, got "5"/,
      ],
    ])('on invalid options (%#)', (make, message) => {
      expect(make).toThrow(message);
      expect(make).toThrow(/^\[cache-aside\] /);
    });

    it('on @Cacheable with @CachePut, and on a decorator repeated where it may not be', () => {
      expect(() => {
        class C {
          @Cacheable()
          @CachePut()
          async m(): Promise<void> {}
        }
        return C;
      }).toThrow(/has both @Cacheable and @CachePut/);
      expect(() => {
        class C {
          @CacheTtl(1)
          @CacheTtl(2)
          async m(): Promise<void> {}
        }
        return C;
      }).toThrow(/@CacheTtl appears twice on (C\.)?m/);
      expect(() => {
        @CacheConfig()
        @CacheConfig()
        class C {}
        return C;
      }).toThrow(/@CacheConfig appears twice on C/);
    });
  });

  describe('fails at call time', () => {
    class Repo {
      @Cacheable({ key: 'k' })
      async find(): Promise<number> {
        return 1;
      }

      @Cacheable({ key: 'k', manager: 'sessions' })
      async session(): Promise<number> {
        return 1;
      }

      @CacheTtl(5)
      async ttlOnly(): Promise<number> {
        return 1;
      }
    }

    it('with no manager registered, saying to call CacheInterceptor.use(manager)', async () => {
      const call = new Repo().find();
      expect(call).toBeInstanceOf(Promise);
      await expect(call).rejects.toThrow(
        /\[cache-aside\] Repo\.find is decorated for caching, but no cache manager is registered: call CacheInterceptor\.use\(manager\)/,
      );
    });

    it('with an unknown named manager, naming it', async () => {
      CacheInterceptor.use(new FakeCacheManager());
      await expect(new Repo().session()).rejects.toThrow(
        /Repo\.session uses the cache manager "sessions", which is not registered \(registered: "default"\): call CacheInterceptor\.use\(manager, 'sessions'\)/,
      );
    });

    it('with @CacheTtl and nothing it could apply to', async () => {
      CacheInterceptor.use(new FakeCacheManager());
      await expect(new Repo().ttlOnly()).rejects.toThrow(
        /@CacheTtl on Repo\.ttlOnly has nothing to apply to: add @Cacheable\(\)/,
      );
    });
  });
});
