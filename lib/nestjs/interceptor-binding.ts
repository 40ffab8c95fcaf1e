import { CacheInterceptor, type CacheManagerPort } from '../index';

/** What `CacheInterceptor.bind` asks of a scope: the manager for a name. */
interface BindingScope {
  manager(name: string): CacheManagerPort;
}

/** The binding API of the interceptor, as far as this module uses it. */
interface BindingInterceptor {
  bind?(instance: object, scope: BindingScope): boolean | undefined;
  unbind?(instance: object): void;
}

/** Binds `instance` to `scope` when it carries cache metadata; true when it was bound. */
export function bindInstance(instance: object, scope: BindingScope): boolean {
  const interceptor = CacheInterceptor as unknown as BindingInterceptor;
  return interceptor.bind?.(instance, scope) === true;
}

export function unbindInstance(instance: object): void {
  (CacheInterceptor as unknown as BindingInterceptor).unbind?.(instance);
}
