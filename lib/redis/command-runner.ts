import type { CircuitBreaker, CircuitState } from './circuit-breaker';
import { DeadlineExceededError } from '../errors/deadline-exceeded.error';
import { DeadlineQueue, type Waiter } from './deadline';
import { canSendDirect, sendDirectGet } from './direct-get';
import type { RedisClient } from './redis-client';
import { RedisUnavailableError } from '../errors/redis-unavailable.error';
import { isReplyError } from './redis-errors';
import { WriteCoalescer } from './write-coalescer';

/** A command to send, given the client (not called at all when the runner refuses). */
export type Command<T> = (client: RedisClient) => Promise<T>;

/**
 * How every command is sent: with a deadline, through the circuit breaker, and only to a client
 * that can take it now. Writes go only to a `ready` client (one issued during the very first
 * connection waits for it, bounded), so ioredis's offline queue never holds a write that lands
 * long after it was meant; reads may wait for the first connection, bounded by the deadline.
 */
export class CommandRunner {
  private everReady: boolean;
  private firstReady: Promise<void> | undefined;
  private readonly deadlines: DeadlineQueue;
  private readonly direct: boolean;
  private readonly coalescer: WriteCoalescer | undefined;
  private readonly recoveryListeners: Array<() => void> = [];
  /** What a direct GET's rejection tells the breaker: the same as `settle` tells it. */
  private readonly onDirectRejected = (error: Error): void => {
    if (error instanceof DeadlineExceededError) return; // counted by the deadline queue
    if (isReplyError(error)) this.breaker.recordSuccess();
    else this.breaker.recordFailure();
  };
  private readonly onClientReady = (): void => {
    this.everReady = true;
    this.breaker.reset();
    this.notifyRecovered();
  };

  constructor(
    private readonly client: RedisClient,
    private readonly breaker: CircuitBreaker,
    private readonly operationTimeout: number,
    coalesceWrites: boolean,
  ) {
    this.everReady = client.status === 'ready';
    this.deadlines = new DeadlineQueue(operationTimeout, () => {
      breaker.recordFailure();
    });
    this.direct = canSendDirect(client);
    this.coalescer = coalesceWrites ? new WriteCoalescer(client) : undefined;
    client.on('ready', this.onClientReady);
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
    this.client.off('ready', this.onClientReady);
  }

  run<T>(command: Command<T>, write: boolean): Promise<T> {
    if (write && this.isFirstConnect())
      return this.afterFirstConnect(() => this.run(command, write));
    const refused = this.refusal(write);
    if (refused !== undefined) return refused;
    this.coalescer?.beforeSend();
    return this.settle(command(this.client));
  }

  /** True while the client has never been ready and is still making its first connection. */
  private isFirstConnect(): boolean {
    const status = this.client.status;
    return (
      !this.everReady && (status === 'wait' || status === 'connecting' || status === 'connect')
    );
  }

  /**
   * A write issued before the client's first connection waits for it, bounded by the deadline,
   * and is sent only once the client is ready: it never sits in ioredis's offline queue, where
   * it could land long after it was meant. All such writes share one wait (one listener).
   */
  private afterFirstConnect<T>(send: () => Promise<T>): Promise<T> {
    const ms = this.operationTimeout;
    if (this.firstReady === undefined) {
      this.firstReady = new Promise<void>((resolve) =>
        this.client.once('ready', () => {
          resolve();
        }),
      );
      // A lazyConnect client connects on its first command; a write waiting here must start it.
      if (this.client.status === 'wait') this.client.connect().catch(() => undefined);
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
   * GET of a key's bytes, the hot path of a hit. While the breaker has no failure on record, the
   * command is sent directly and is its own deadline waiter (see `direct-get.ts`): a success then
   * has nothing to tell the breaker. Otherwise it takes the wrapped path, which tells it all.
   */
  getBuffer(key: string): Promise<Buffer | null> {
    const refused = this.refusal(false);
    if (refused !== undefined) return refused;
    this.coalescer?.beforeSend();
    if (!this.direct || !this.breaker.clean) return this.settle(this.client.getBuffer(key));
    const command = sendDirectGet(this.client, key, this.onDirectRejected);
    this.deadlines.add(command);
    return command.promise as Promise<Buffer | null>;
  }

  /** One promise per command: the deadline, the breaker and the caller settle it together. */
  settle<T>(sent: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const ticket = new Ticket(reject);
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
          if (isReplyError(error)) this.breaker.recordSuccess();
          else this.breaker.recordFailure();
          reject(error);
        },
      );
    });
  }

  /** True when the client's state allows sending now (circuit aside). */
  canSend(write: boolean): boolean {
    const status = this.client.status;
    if (status === 'ready' || status === undefined) return true;
    if (write || this.everReady) return false;
    return status === 'wait' || status === 'connecting' || status === 'connect';
  }

  private notifyRecovered(): void {
    for (const listener of this.recoveryListeners) listener();
  }

  unavailableReason(): string {
    return `the Redis client is not ready (status "${this.client.status}")`;
  }
}

/** The deadline's hold on a wrapped command: whichever settles it first wins. */
class Ticket implements Waiter {
  isResolved = false;
  constructor(private readonly rejectCaller: (error: Error) => void) {}

  reject(error: Error): void {
    this.isResolved = true;
    this.rejectCaller(error);
  }
}
