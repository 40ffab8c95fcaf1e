/**
 * Skips Redis for a cool-down after repeated connection failures, so that while Redis is down a
 * call costs the loader and nothing else (fail-open without waiting for a deadline each time).
 *
 * closed ──(failureThreshold consecutive failures)──► open ──(cooldown)──► half-open
 *   ▲                                                                        │ one probe
 *   └────────────────────── probe succeeds ◄─────────────────────────────────┘ fails: open again
 *
 * Only failures of reachability count (timeouts, closed connections). A Redis error reply
 * (OOM, WRONGTYPE) proves the server is there and does not open the circuit.
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** When to stop sending commands to a failing Redis, and for how long (the manager's `circuitBreaker` option). */
export interface CircuitBreakerOptions {
  /** @default 3 */
  failureThreshold?: number;
  /** Milliseconds Redis is skipped once the circuit opens. @default 1000 */
  cooldownMs?: number;
  /** Clock, replaceable in tests. @default Date.now */
  now?: () => number;
}

/** Consecutive connection failures that open the circuit: `circuitBreaker.failureThreshold` when not given. */
export const DEFAULT_FAILURE_THRESHOLD = 3;
/** Milliseconds the circuit stays open before one probe: `circuitBreaker.cooldownMs` when not given. */
export const DEFAULT_COOLDOWN_MS = 1000;

export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openedAt = 0;
  private probing = false;
  private readonly failureThreshold: number;
  private readonly cooldownMs: number;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions = {}) {
    this.failureThreshold = options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
    this.cooldownMs = options.cooldownMs ?? DEFAULT_COOLDOWN_MS;
    this.now = options.now ?? Date.now;
  }

  /** A new breaker with the same options (one per Cluster node, see `node-breakers.ts`). */
  sibling(): CircuitBreaker {
    return new CircuitBreaker(this.options);
  }

  get state(): CircuitState {
    if (this.consecutiveFailures < this.failureThreshold) return 'closed';
    return this.now() - this.openedAt >= this.cooldownMs ? 'half-open' : 'open';
  }

  /** True while no failure is on record: a success would change nothing. */
  get clean(): boolean {
    return this.consecutiveFailures === 0;
  }

  /** True when a command may be sent now. In half-open state, only one probe at a time. */
  allowsRequest(): boolean {
    if (this.consecutiveFailures < this.failureThreshold) return true;
    if (this.probing || this.now() - this.openedAt < this.cooldownMs) return false;
    this.probing = true;
    return true;
  }

  /** Returns true when this success ends an outage (the circuit had opened). */
  recordSuccess(): boolean {
    const recovered = this.consecutiveFailures >= this.failureThreshold;
    this.consecutiveFailures = 0;
    this.probing = false;
    return recovered;
  }

  recordFailure(): void {
    this.probing = false;
    this.consecutiveFailures++;
    if (this.consecutiveFailures >= this.failureThreshold) this.openedAt = this.now();
  }

  /**
   * A failure that does not count towards opening the circuit (a `getMany` chunk's, or a command
   * that expired while others on its connection were answered). If it was the half-open probe,
   * the probe failed: the circuit opens again for a cool-down. Left unsettled, the probe would
   * refuse every later command until the client reconnected — after a stall, which ends without
   * a reconnect, caching and queued invalidations waited indefinitely.
   */
  recordUncountedFailure(): void {
    if (this.probing) this.recordFailure();
  }

  /** Forget past failures (the client reported it is ready again). */
  reset(): void {
    this.consecutiveFailures = 0;
    this.probing = false;
  }
}
