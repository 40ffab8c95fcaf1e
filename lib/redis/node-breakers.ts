import type { CircuitBreaker, CircuitState } from './circuit-breaker';

/** The node breakers of each fallback breaker, shared by every runner that has it. */
const nodesOf = new WeakMap<CircuitBreaker, Map<string, CircuitBreaker>>();

/**
 * One circuit breaker per Cluster master (by the address the client's slot table gives for a
 * key), so that a dead master makes only its own slots skip Redis while the healthy shards go on
 * caching (issue #12 finding 6). A standalone or Sentinel client, a command without a key, or a
 * key whose node the client does not know yet use the one `fallback` breaker.
 *
 * A master that fails over is replaced in the slot table by its promoted replica, a new address
 * with a closed breaker of its own: caching resumes on those slots as soon as the client learns
 * of the promotion.
 *
 * Every `NodeBreakers` made with the same fallback shares one breaker per node: a manager's
 * `getMany` chunks (its batch view, a runner of their own) honour the circuits its other commands
 * opened. Before, the batch view had breakers of its own that never opened, so after a stall a
 * `getMany` took leases on a shard whose circuit was open, and the lease's give-back — sent
 * through the manager's own, open circuit — was refused: other processes waited for that lease
 * until its TTL (the Cluster soak's 5 s gets after a stall of one process).
 */
export class NodeBreakers {
  private readonly byNode: Map<string, CircuitBreaker>;

  /** `routing` is the Cluster's slot table, as the client knows it; undefined when standalone. */
  constructor(
    readonly fallback: CircuitBreaker,
    private readonly routing:
      { nodeOf(key: string): string | undefined; servingNodes(): Set<string> } | undefined,
  ) {
    let shared = nodesOf.get(fallback);
    if (shared === undefined) {
      shared = new Map<string, CircuitBreaker>();
      nodesOf.set(fallback, shared);
    }
    this.byNode = shared;
  }

  /** The breaker of the node serving `key` now (the fallback when there is no such node). */
  forKey(key: string | undefined): CircuitBreaker {
    if (this.routing === undefined || key === undefined) return this.fallback;
    const node = this.routing.nodeOf(key);
    if (node === undefined) return this.fallback;
    let breaker = this.byNode.get(node);
    if (breaker === undefined) {
      breaker = this.fallback.sibling();
      this.byNode.set(node, breaker);
    }
    return breaker;
  }

  /**
   * The worst state of any serving node's breaker: `open` while any shard is skipped. A node that
   * serves no slot any more (a master replaced by its promoted replica) is forgotten here.
   */
  get state(): CircuitState {
    this.forgetRetired();
    let worst = this.fallback.state;
    for (const breaker of this.byNode.values()) {
      const state = breaker.state;
      if (state === 'open') return 'open';
      if (state === 'half-open' && worst === 'closed') worst = 'half-open';
    }
    return worst;
  }

  /** The state of each node's breaker (by address), for `stats()` on a Cluster. */
  states(): Record<string, CircuitState> {
    this.forgetRetired();
    const states: Record<string, CircuitState> = {};
    for (const [node, breaker] of this.byNode) states[node] = breaker.state;
    return states;
  }

  private forgetRetired(): void {
    if (this.routing === undefined || this.byNode.size === 0) return;
    const serving = this.routing.servingNodes();
    for (const node of this.byNode.keys()) if (!serving.has(node)) this.byNode.delete(node);
  }

  /** Forgets every failure (the client reported it is ready again). */
  reset(): void {
    this.fallback.reset();
    for (const breaker of this.byNode.values()) breaker.reset();
  }
}
