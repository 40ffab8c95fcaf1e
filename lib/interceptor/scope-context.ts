import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The manager scope of an async context (`CacheInterceptor.runInScope`): what decorated calls
 * of objects that no `bind` reaches (request-scoped providers, objects made with `new` while a
 * request is handled) use, from the call that opened the context through every await after it.
 * Kept apart so that the interceptor's usual path never touches async context.
 */
export class ScopeContext<T> {
  private readonly storage = new AsyncLocalStorage<T>();

  run<R>(value: T, fn: () => R): R {
    return this.storage.run(value, fn);
  }

  current(): T | undefined {
    return this.storage.getStore();
  }
}
