import type { CircuitBreaker, CircuitState } from './circuit-breaker';
import type { ClientConnection } from './clients/client-connection';
import { DeadlineExceededError } from '../errors/deadline-exceeded.error';
import { DeadlineQueue, type Waiter } from './deadline';
import { RedisUnavailableError } from '../errors/redis-unavailable.error';
import { WriteCoalescer } from './write-coalescer';
import { TickAbort } from './tick-abort';
import { NodeBreakers } from './node-breakers';
import { recoverySignalOf, type RecoverySignal } from './recovery-signal';

/**
 * A command to send, given the client's adapter (not called at all when the runner refuses).
 * `signal` is aborted when the deadline gives up on a write, so a client that can drop an unsent
 * command from its offline queue does (see `ClientConnection.abortsUnsent`).
 */
export type Command<T> = (client: ClientConnection, signal: AbortSignal | undefined) => Promise<T>;

/**
 * How every command is sent: with a deadline, through the circuit breaker, and only to a client
 * that can take it now. Writes go only to a `ready` client (one issued during the very first
 * connection waits for it, bounded), so no client's offline queue holds a write that lands long
 * after it was meant; reads may wait for the first connection, bounded by the deadline.
 */
export class CommandRunner {
  private everReady: boolean;
  private firstReady: Promise<void> | undefined;
  /** Removes the shared wait for the first 'ready' (see `afterFirstConnect`), while it is on. */
  private stopWaitingForFirstReady: (() => void) | undefined;
  private readonly deadlines: DeadlineQueue<CircuitBreaker>;
  /** One breaker per Cluster master (the given one alone when standalone). */
  private readonly breakers: NodeBreakers;
  private readonly coalescer: WriteCoalescer | undefined;
  /** Shared by every runner on this connection (see `recovery-signal.ts`). */
  private readonly recovery: RecoverySignal;
  /** What removes this runner's listeners from the shared signal, on `detach`. */
  private readonly unlisten: Array<() => void> = [];
  private readonly stopListening: () => void;
  /** What a direct GET's rejection tells its breaker, per breaker (made once each). */
  private readonly directRejected = new WeakMap<CircuitBreaker, (error: Error) => void>();
  private readonly onClientReady = (): void => {
    this.everReady = true;
    this.breakers.reset();
    this.recovery.notify();
  };

  /** `breaker` is the breaker of a standalone client; a Cluster's nodes get siblings of it. */
  constructor(
    private readonly connection: ClientConnection,
    breaker: CircuitBreaker,
    private readonly operationTimeout: number,
    coalesceWrites: boolean,
    /** False for the chunks of a large batch: their failures never open the circuit by themselves. */
    private readonly countsFailures = true,
  ) {
    this.everReady = connection.state() === 'ready';
    this.recovery = recoverySignalOf(connection);
    const cluster = connection.isCluster;
    this.breakers = new NodeBreakers(breaker, cluster ? connection : undefined);
    // Commands that expired together are one failure, and none while Redis answers others on
    // the same connection: a burst of our own that Redis works through must not open the circuit
    // by itself. Replies come in order on one connection: a standalone client's, or one Cluster
    // node's (a command whose node is not known goes to the fallback breaker, which spans nodes).
    // The chunks of a large batch never count (countsFailures false).
    this.deadlines = new DeadlineQueue<CircuitBreaker>(
      operationTimeout,
      (expiredOn, _expired, progressed) => {
        const on = expiredOn ?? breaker;
        if (!progressed && countsFailures) on.recordFailure();
        else on.recordUncountedFailure();
      },
      undefined,
      (group) => !cluster || (group !== undefined && group !== breaker),
    );
    this.coalescer = coalesceWrites ? new WriteCoalescer(connection) : undefined;
    this.stopListening = connection.onReady(this.onClientReady);
  }

  /**
   * Called each time Redis is back: the client (re)connected, or a command succeeded after the
   * circuit had opened (a hung server that woke up never reconnects) — a command of any runner on
   * this connection, a `getMany` chunk's included.
   */
  onRecovered(listener: () => void): void {
    this.unlisten.push(this.recovery.listen(listener));
  }

  get circuit(): CircuitState {
    return this.breakers.state;
  }

  /** Each Cluster node's breaker state, by address (empty when standalone). */
  circuits(): Record<string, CircuitState> {
    return this.breakers.states();
  }

  detach(): void {
    this.stopListening();
    // A client that never became ready would otherwise keep this runner through that wait.
    this.stopWaitingForFirstReady?.();
    for (const remove of this.unlisten.splice(0)) remove();
  }

  /** Sends `command`; `key` (where it has one) picks the Cluster node's breaker. */
  run<T>(command: Command<T>, write: boolean, key?: string): Promise<T> {
    if (write && this.isFirstConnect())
      return this.afterFirstConnect(() => this.run(command, write, key));
    const breaker = this.breakers.forKey(key);
    const refused = this.refusal(write, breaker);
    if (refused !== undefined) return refused;
    this.coalescer?.beforeSend();
    if (write && this.connection.abortsUnsent) {
      const tick = this.abortOfThisTick();
      tick.joined();
      return this.settle(command(this.connection, tick.signal), breaker, tick);
    }
    return this.settle(command(this.connection, undefined), breaker);
  }

  /** The abort signal of this tick's writes (see `tick-abort.ts`), made at the first of them. */
  private abortOfThisTick(): TickAbort {
    if (this.tickAbort === undefined) {
      this.tickAbort = new TickAbort();
      process.nextTick(this.endTickAbort);
    }
    return this.tickAbort;
  }

  private tickAbort: TickAbort | undefined;
  private readonly endTickAbort = (): void => {
    this.tickAbort = undefined;
  };

  /** True while the client has never been ready and is still making its first connection. */
  private isFirstConnect(): boolean {
    const state = this.connection.state();
    return !this.everReady && (state === 'connecting' || state === 'lazy');
  }

  /**
   * A write issued before the client's first connection waits for it, bounded by the deadline,
   * and is sent only once the client is ready: it never sits in a client's offline queue, where
   * it could land long after it was meant. All such writes share one wait (one listener).
   */
  private afterFirstConnect<T>(send: () => Promise<T>): Promise<T> {
    const ms = this.operationTimeout;
    if (this.firstReady === undefined) {
      this.firstReady = new Promise<void>((resolve) => {
        const stop = this.connection.onReady(() => {
          stop();
          this.stopWaitingForFirstReady = undefined;
          resolve();
        });
        this.stopWaitingForFirstReady = stop;
      });
      // A lazyConnect client connects on its first command; a write waiting here must start it.
      if (this.connection.state() === 'lazy') this.connection.connect();
    }
    const firstReady = this.firstReady;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new RedisUnavailableError(`the Redis client did not become ready within ${ms} ms`));
      }, ms);
      void firstReady.then(() => {
        clearTimeout(timer);
        resolve();
      });
    }).then(send);
  }

  /** A rejection when nothing may be sent now (client not ready, circuit open), else undefined. */
  refusal(
    write: boolean,
    breaker: CircuitBreaker = this.breakers.fallback,
  ): Promise<never> | undefined {
    if (!this.canSend(write))
      return Promise.reject(new RedisUnavailableError(this.unavailableReason()));
    if (!breaker.allowsRequest()) {
      return Promise.reject(
        new RedisUnavailableError(
          'Redis is skipped for a cool-down after repeated failures (circuit open)',
        ),
      );
    }
    return undefined;
  }

  /**
   * GET of a key's bytes, the hot path of a hit. While the breaker has no failure on record and
   * the client allows it, the command is sent directly and is its own deadline waiter (see
   * `clients/ioredis-direct-get.ts`): a success then has nothing to tell the breaker. Otherwise
   * it takes the wrapped path, which tells it all.
   */
  getBuffer(key: string): Promise<Buffer | null> {
    const breaker = this.breakers.forKey(key);
    const refused = this.refusal(false, breaker);
    if (refused !== undefined) return refused;
    this.coalescer?.beforeSend();
    const direct = this.connection.directGet;
    if (direct !== undefined && breaker.clean) {
      const command = direct(key, this.onDirectRejected(breaker));
      if (command !== undefined) {
        this.deadlines.add(command, breaker);
        return command.promise as Promise<Buffer | null>;
      }
    }
    return this.settle(this.connection.get(key), breaker);
  }

  /** What a direct GET's rejection tells its breaker: the same as `settle` tells it. */
  private onDirectRejected(breaker: CircuitBreaker): (error: Error) => void {
    let listener = this.directRejected.get(breaker);
    if (listener === undefined) {
      listener = (error: Error): void => {
        if (error instanceof DeadlineExceededError) return; // counted by the deadline queue
        // A reply error proves Redis answers: an outage it ends is over like any other.
        if (this.connection.isReplyError(error)) {
          if (breaker.recordSuccess()) this.recovery.notify();
        } else if (this.countsFailures) breaker.recordFailure();
        else breaker.recordUncountedFailure();
      };
      this.directRejected.set(breaker, listener);
    }
    return listener;
  }

  /** One promise per command: the deadline, the breaker and the caller settle it together. */
  settle<T>(
    sent: Promise<T>,
    breaker: CircuitBreaker = this.breakers.fallback,
    tick?: TickAbort,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const ticket = new Ticket(reject, tick);
      this.deadlines.add(ticket, breaker);
      sent.then(
        (value) => {
          if (ticket.isResolved) return;
          ticket.isResolved = true;
          tick?.settled(false);
          if (breaker.recordSuccess()) this.recovery.notify();
          resolve(value);
        },
        (error: unknown) => {
          if (ticket.isResolved) return;
          ticket.isResolved = true;
          tick?.settled(false);
          // A reply error proves Redis answers: an outage it ends is over like any other.
          if (this.connection.isReplyError(error)) {
            if (breaker.recordSuccess()) this.recovery.notify();
          } else if (this.countsFailures) breaker.recordFailure();
          else breaker.recordUncountedFailure();
          // Clients reject with Errors; anything else is wrapped without its content.
          reject(
            error instanceof Error ? error : new Error('[cache-aside] the Redis client failed'),
          );
        },
      );
    });
  }

  /** True when the client's state allows sending now (circuit aside). */
  canSend(write: boolean): boolean {
    const state = this.connection.state();
    if (state === 'ready') return true;
    if (write || this.everReady) return false;
    return state === 'connecting' || state === 'lazy';
  }

  unavailableReason(): string {
    return `the Redis client is not ready (${this.connection.describeState()})`;
  }
}

/** The deadline's hold on a wrapped command: whichever settles it first wins. */
class Ticket implements Waiter {
  isResolved = false;
  constructor(
    private readonly rejectCaller: (error: Error) => void,
    private readonly tick: TickAbort | undefined,
  ) {}

  reject(error: Error): void {
    this.isResolved = true;
    // A write not yet on the wire is dropped from the client's queue: it never lands later
    // (once the other writes of its tick have settled too, see `tick-abort.ts`).
    this.tick?.settled(true);
    this.rejectCaller(error);
  }
}
