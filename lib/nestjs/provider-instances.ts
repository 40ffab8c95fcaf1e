/** What the module reads of Nest's instance wrappers (a structural view, no deep import). */
export interface DiscoveredWrapper {
  readonly instance: unknown;
  readonly isTransient?: boolean;
  isDependencyTreeStatic(): boolean;
  getStaticTransientInstances?(): ReadonlyArray<{ readonly instance: unknown } | undefined>;
}

/**
 * The objects an application created once and keeps: singleton providers and controllers, and
 * each injected copy of a transient provider. Request-scoped providers (and whatever depends on
 * them) are created per request, after bootstrap: they are not here, and their calls go to the
 * process-wide registry.
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
