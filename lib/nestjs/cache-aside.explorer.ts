import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { CacheAsideRegistration } from './cache-aside.registration';
import { ApplicationScope } from './application-scope';
import { providerInstances } from './provider-instances';
import { bindInstance, unbindInstance } from './interceptor-binding';

/**
 * One per application (its module is global and imported once however many managers are
 * registered). At module init — before the application's own `onModuleInit` hooks, since global
 * modules go first — it finds the application's managers and binds every provider and
 * controller to them, so that two applications in one process never
 * serve each other's calls. On shutdown it unbinds them.
 */
@Injectable()
export class CacheAsideExplorer implements OnModuleInit, OnApplicationShutdown {
  private bound: object[] = [];

  // An explicit token: the package must not depend on how the application compiles its own code,
  // and esbuild-based runners (tsx) emit no constructor types.
  constructor(@Inject(DiscoveryService) private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    const registrations = wrappers
      .map((wrapper) => wrapper.instance as unknown)
      .filter((instance) => instance instanceof CacheAsideRegistration);
    const scope = new ApplicationScope(registrations);
    const bound: object[] = [];
    for (const instance of providerInstances(wrappers)) {
      bindInstance(instance, scope);
      bound.push(instance);
    }
    this.bound = bound;
  }

  onApplicationShutdown(): void {
    for (const instance of this.bound) unbindInstance(instance);
    this.bound = [];
  }
}
