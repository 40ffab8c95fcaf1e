import type { AnyClass } from '../index';

/** What the module reads of Nest's instance wrappers (a structural view, no deep import). */
export interface DiscoveredWrapper {
  readonly instance: unknown;
  /** The class of a class provider (for a factory provider: the factory). */
  readonly metatype?: unknown;
  /** Set (to an array) for a factory provider. */
  readonly inject?: unknown;
  readonly isTransient?: boolean;
  isDependencyTreeStatic(): boolean;
  getStaticTransientInstances?(): ReadonlyArray<{ readonly instance: unknown } | undefined>;
}

/**
 * The objects an application created once and keeps: singleton providers and controllers, and
 * each injected copy of a transient provider. Request-scoped providers (and whatever depends on
 * them) are created per request, after bootstrap: they are not here (see `perRequestClasses`).
 */
export function* providerInstances(wrappers: readonly DiscoveredWrapper[]): Generator<object> {
  const seen = new Set<object>();
  for (const wrapper of wrappers) {
    if (!wrapper.isDependencyTreeStatic()) continue;
    const candidates = wrapper.isTransient
      ? (wrapper.getStaticTransientInstances?.() ?? []).map((held) => held?.instance)
      : [wrapper.instance];
    for (const instance of candidates) {
      if (instance === null || typeof instance !== 'object' || seen.has(instance)) continue;
      seen.add(instance);
      yield instance;
    }
  }
}

/**
 * The classes of the providers and controllers an application creates per request (request
 * scope, or transient over a request-scoped dependency): no instance exists at bootstrap, but
 * their class says which managers their decorated methods will use.
 */
export function* perRequestClasses(wrappers: readonly DiscoveredWrapper[]): Generator<AnyClass> {
  for (const wrapper of wrappers) {
    if (wrapper.isDependencyTreeStatic()) continue;
    if (typeof wrapper.metatype === 'function' && wrapper.inject == null) {
      yield wrapper.metatype as AnyClass;
    }
  }
}

/** The class of an instance, for the checks made at bootstrap. */
export function classOf(instance: object): AnyClass | undefined {
  const ctor: unknown = (Object.getPrototypeOf(instance) as { constructor?: unknown } | null)
    ?.constructor;
  return typeof ctor === 'function' ? (ctor as AnyClass) : undefined;
}
