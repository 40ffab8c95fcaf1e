import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { CacheAsideRegistration } from './cache-aside.registration';
import { ApplicationScope } from './application-scope';
import { classOf, perRequestClasses, providerInstances } from './provider-instances';
import { bindInstance, unbindInstance } from './interceptor-binding';
import { assertManagersRegistered } from './registered-managers-check';
import type { AnyClass, ManagerScope } from '../index';

/**
 * One per application (its module is global and imported once however many managers are
 * registered). At module init — before the application's own `onModuleInit` hooks, since global
 * modules go first — it finds the application's managers and binds every provider and
 * controller to them, so that two applications in one process never
 * serve each other's calls, after checking that every manager their decorated methods use is
 * registered (a missing one fails `app.init()`, naming the class, the method and the import to
 * add). On shutdown it unbinds them.
 */
@Injectable()
export class CacheAsideExplorer implements OnModuleInit, OnApplicationShutdown {
  private bound: object[] = [];
  /**
   * What a request's async context resolves managers from (`RequestScopeMiddleware`): the
   * application's managers, and the process-wide registry for a name the application does not
   * register (an object made with `new` may use a manager the code registered itself).
   */
  requestScope: ManagerScope | undefined;

  // An explicit token: the package must not depend on how the application compiles its own code,
  // and esbuild-based runners (tsx) emit no constructor types.
  constructor(@Inject(DiscoveryService) private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    const registrations = wrappers
      .map((wrapper) => wrapper.instance as unknown)
      .filter((instance) => instance instanceof CacheAsideRegistration);
    const scope = new ApplicationScope(registrations);
    const instances = [...providerInstances(wrappers)];
    const classes = new Set<AnyClass>(perRequestClasses(wrappers));
    for (const instance of instances) {
      const ctor = classOf(instance);
      if (ctor !== undefined) classes.add(ctor);
    }
    // Before any binding: an application that fails here leaves nothing behind.
    assertManagersRegistered(classes, scope);
    for (const instance of instances) bindInstance(instance, scope);
    for (const registration of registrations) registration.activate();
    this.bound = instances;
    this.requestScope = { manager: (name) => (scope.has(name) ? scope.manager(name) : undefined) };
  }

  onApplicationShutdown(): void {
    for (const instance of this.bound) unbindInstance(instance);
    this.bound = [];
    this.requestScope = undefined;
  }
}
