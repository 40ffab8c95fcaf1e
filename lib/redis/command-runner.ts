import type { CircuitBreaker, CircuitState } from './circuit-breaker';
import type { ClientConnection } from './clients/client-connection';
import { DeadlineExceededError } from '../errors/deadline-exceeded.error';
import { DeadlineQueue, type Waiter } from './deadline';
import { RedisUnavailableError } from '../errors/redis-unavailable.error';
import { WriteCoalescer } from './write-coalescer';

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
  private readonly deadlines: DeadlineQueue;
  private readonly coalescer: WriteCoalescer | undefined;
  private readonly recoveryListeners: Array<() => void> = [];
  private readonly stopListening: () => void;
  /** What a direct GET's rejection tells the breaker: the same as `settle` tells it. */
  private readonly onDirectRejected = (error: Error): void => {
    if (error instanceof DeadlineExceededError) return; // counted by the deadline queue
    if (this.connection.isReplyError(error)) this.breaker.recordSuccess();
    else this.breaker.recordFailure();
  };
  private readonly onClientReady = (): void => {
    this.everReady = true;
    this.breaker.reset();
    this.notifyRecovered();
  };

  constructor(
    private readonly connection: ClientConnection,
    private readonly breaker: CircuitBreaker,
    private readonly operationTimeout: number,
    coalesceWrites: boolean,
    /** False for the chunks of a large batch: their failures never open the circuit by themselves. */
    private readonly countsFailures = true,
  ) {
    this.everReady = connection.state() === 'ready';
    this.deadlines = new DeadlineQueue(operationTimeout, () => {
      if (countsFailures) breaker.recordFailure();
    });
    this.coalescer = coalesceWrites ? new WriteCoalescer(connection) : undefined;
    this.stopListening = connection.onReady(this.onClientReady);
  }

  /**
   * Called each time Redis is back: the client (re)connected, or a command succeeded after the
   * circuit had opened (a hung server that woke up never reconnects).
   */
  onRecovered(listener: () => void): void {
    this.recoveryListeners.push(listener);
  }

  get circuit(): CircuitState {
    return this.breaker.state;
  }

  detach(): void {
    this.stopListening();
  }

  run<T>(command: Command<T>, write: boolean): Promise<T> {
    if (write && this.isFirstConnect())
      return this.afterFirstConnect(() => this.run(command, write));
    const refused = this.refusal(write);
    if (refused !== undefined) return refused;
    this.coalescer?.beforeSend();
    if (write && this.connection.abortsUnsent) {
      const controller = new AbortController();
      return this.settle(command(this.connection, controller.signal), controller);
    }
    return this.settle(command(this.connection, undefined));
  }

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
          resolve();
        });
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
  refusal(write: boolean): Promise<never> | undefined {
    if (!this.canSend(write))
      return Promise.reject(new RedisUnavailableError(this.unavailableReason()));
    if (!this.breaker.allowsRequest()) {
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
    const refused = this.refusal(false);
    if (refused !== undefined) return refused;
    this.coalescer?.beforeSend();
    const direct = this.connection.directGet;
    if (direct !== undefined && this.breaker.clean) {
      const command = direct(key, this.onDirectRejected);
      if (command !== undefined) {
        this.deadlines.add(command);
        return command.promise as Promise<Buffer | null>;
      }
    }
    return this.settle(this.connection.get(key));
  }

  /** One promise per command: the deadline, the breaker and the caller settle it together. */
  settle<T>(sent: Promise<T>, abort?: AbortController): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const ticket = new Ticket(reject, abort);
      this.deadlines.add(ticket);
      sent.then(
        (value) => {
          if (ticket.isResolved) return;
          ticket.isResolved = true;
          if (this.breaker.recordSuccess()) this.notifyRecovered();
          resolve(value);
        },
        (error: unknown) => {
          if (ticket.isResolved) return;
          ticket.isResolved = true;
          if (this.connection.isReplyError(error)) this.breaker.recordSuccess();
          else if (this.countsFailures) this.breaker.recordFailure();
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

  private notifyRecovered(): void {
    for (const listener of this.recoveryListeners) listener();
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
    private readonly abort: AbortController | undefined,
  ) {}

  reject(error: Error): void {
    this.isResolved = true;
    // A write not yet on the wire is dropped from the client's queue: it never lands later.
    this.abort?.abort();
    this.rejectCaller(error);
  }
}
