import 'reflect-metadata';
import { Cacheable, CacheInterceptor, CachePut } from '../../../lib';
import { classifyDecoratorCall } from '../../../lib/decorators/decorator-kind';
import { recordOfTrampoline } from '../../../lib/metadata/metadata-store';
import { FakeCacheManager } from './support/fake-manager';
import { decoratorMode, hasDesignMetadata } from './support/mode';

/* eslint-disable @typescript-eslint/no-explicit-any -- a decorator with its types erased takes and returns anything */
const untyped = (decorator: unknown) => decorator as (...args: any[]) => any;
/* eslint-enable @typescript-eslint/no-explicit-any -- back to precise types */

/** A promise type of one's own, for the check of declared return types. */
class TrackedPromise<T> extends Promise<T> {}

describe(`decorator standards (this run: ${decoratorMode})`, () => {
  let cache: FakeCacheManager;

  beforeEach(() => {
    CacheInterceptor.reset();
    cache = new FakeCacheManager();
    CacheInterceptor.use(cache);
  });

  afterAll(() => CacheInterceptor.reset());

  it('runs with design-type metadata exactly in the legacy mode', () => {
    expect(hasDesignMetadata).toBe(decoratorMode === 'legacy');
  });

  it('knows the declaring class of a legacy-decorated method at decoration time', () => {
    class Known {
      @Cacheable()
      async find(): Promise<number> {
        return 1;
      }
    }
    // legacy decorators receive the prototype; standard ones learn it from an initializer
    expect(recordOfTrampoline(Known.prototype.find)?.declaringClass).toBe(
      decoratorMode === 'legacy' ? Known : undefined,
    );
  });

  if (hasDesignMetadata) {
    describe('legacy decorators with emitDecoratorMetadata', () => {
      it('refuse, at decoration time, a method whose declared return type is not a Promise', () => {
        expect(() => {
          class Sync {
            @untyped(Cacheable())
            find(): number {
              return 1;
            }
          }
          return Sync;
        }).toThrow(
          /^\[cache-aside\] @Cacheable\(\) on Sync\.find: the method is declared to return Number, not a Promise\. .*make it async/,
        );
        expect(() => {
          class Void {
            @untyped(CachePut())
            save(): void {}
          }
          return Void;
        }).toThrow(/@CachePut\(\) on Void\.save: the method is declared to return void/);
      });

      it('accept Promise, a Promise subclass, and types TypeScript records as Object', () => {
        expect(() => {
          class Fine {
            @Cacheable() async a(): Promise<number> {
              return 1;
            }

            @Cacheable() b(): TrackedPromise<number> {
              return new TrackedPromise((r) => r(1));
            }

            @Cacheable() c(): PromiseLike<number> | Promise<string> {
              return Promise.resolve(1);
            }
          }
          return Fine;
        }).not.toThrow();
      });
    });
  } else {
    describe('standard decorators', () => {
      it('have no declared types to check: a method without one still answers with a Promise', async () => {
        class Sync {
          @untyped(Cacheable({ key: 'sync' }))
          find(): number {
            return 7;
          }
        }
        const result: unknown = new Sync().find();
        expect(result).toBeInstanceOf(Promise);
        expect(await result).toBe(7);
        // eslint-disable-next-line @typescript-eslint/await-thenable -- typed as a number, it is a Promise once decorated: the point of the test
        expect(await new Sync().find()).toBe(7);
        expect(cache.gets.map((g) => g.key)).toEqual(['sync', 'sync']);
      });

      it('learn the declaring class from the initializers: at definition (static), at construction (instance)', () => {
        class Learned {
          @Cacheable()
          async find(): Promise<number> {
            return 1;
          }

          @Cacheable()
          static async all(): Promise<number[]> {
            return [];
          }
        }
        expect(recordOfTrampoline(Learned.all)?.declaringClass).toBe(Learned);
        expect(recordOfTrampoline(Learned.prototype.find)?.declaringClass).toBeUndefined();
        new Learned();
        expect(recordOfTrampoline(Learned.prototype.find)?.declaringClass).toBe(Learned);
      });
    });
  }

  describe('telling the standards apart (classifyDecoratorCall)', () => {
    const method = async function find(): Promise<void> {};
    const context = (over: Record<string, unknown>) => ({
      kind: 'method',
      name: 'find',
      static: false,
      private: false,
      addInitializer: () => undefined,
      access: { has: () => true, get: () => method },
      metadata: undefined,
      ...over,
    });

    it('reads (value, context) as a standard decorator call', () => {
      expect(classifyDecoratorCall([method, context({})])).toMatchObject({
        kind: 'standard-method',
        name: 'find',
        isStatic: false,
      });
      expect(classifyDecoratorCall([method, context({ static: true })])).toMatchObject({
        isStatic: true,
      });
      expect(
        classifyDecoratorCall([class A {}, context({ kind: 'class', name: 'A' })]),
      ).toMatchObject({ kind: 'class' });
      expect(classifyDecoratorCall([undefined, context({ kind: 'field', name: 'x' })])).toEqual({
        kind: 'other',
        description: 'the field x',
      });
      expect(classifyDecoratorCall([method, context({ kind: 'getter' })])).toMatchObject({
        description: 'the getter find',
      });
      expect(classifyDecoratorCall([{}, context({ kind: 'accessor' })])).toMatchObject({
        description: 'the accessor find',
      });
    });

    it('refuses private methods of standard classes, which it could not find on the class', () => {
      expect(() => {
        untyped(Cacheable())(method, context({ name: '#find', private: true }));
      }).toThrow(
        /@Cacheable\(\) decorates methods only; it was applied to the private method #find/,
      );
    });

    it('reads (target, key, descriptor) as a legacy decorator call', () => {
      class Owner {
        async find(): Promise<void> {}
      }
      const descriptor = Object.getOwnPropertyDescriptor(Owner.prototype, 'find');
      expect(classifyDecoratorCall([Owner.prototype, 'find', descriptor])).toMatchObject({
        kind: 'legacy-method',
        home: Owner.prototype,
        isStatic: false,
      });
      expect(classifyDecoratorCall([Owner, 'find', { value: method }])).toMatchObject({
        kind: 'legacy-method',
        isStatic: true,
      });
      expect(classifyDecoratorCall([Owner])).toEqual({ kind: 'class', ctor: Owner });
      expect(classifyDecoratorCall([Owner.prototype, 'x', undefined])).toEqual({
        kind: 'other',
        description: 'the field Owner.x',
      });
      expect(classifyDecoratorCall([Owner.prototype, 'x'])).toEqual({
        kind: 'other',
        description: 'the field Owner.x',
      });
      expect(classifyDecoratorCall([Owner.prototype, 'find', 0])).toEqual({
        kind: 'other',
        description: 'parameter 0 of Owner.find',
      });
      expect(classifyDecoratorCall([Owner.prototype, 'v', { get: () => 1 }])).toMatchObject({
        description: 'the getter Owner.v',
      });
      expect(classifyDecoratorCall([Owner.prototype, 'v', { set: () => undefined }])).toMatchObject(
        { description: 'the setter Owner.v' },
      );
      expect(classifyDecoratorCall([Owner.prototype, 'v', { value: 5 }])).toMatchObject({
        description: 'the field Owner.v',
      });
      expect(classifyDecoratorCall([])).toMatchObject({ kind: 'other' });
    });
  });
});
