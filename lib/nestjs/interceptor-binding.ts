import { CacheInterceptor, type ManagerScope } from '../index';

/**
 * Binds an application's instance to the application's managers. Every singleton provider and
 * controller is bound, decorated or not: the interceptor consults a binding only when a
 * decorated method is called, so an undecorated instance's binding costs one WeakMap entry.
 */
export function bindInstance(instance: object, scope: ManagerScope): void {
  CacheInterceptor.bind(instance, scope);
}

export function unbindInstance(instance: object): void {
  CacheInterceptor.unbind(instance);
}
