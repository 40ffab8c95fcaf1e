import type { RedisClient } from './redis-client';

/** What a subscription tells its owner: messages, and the connection's comings and goings. */
export interface SubscriptionListener {
  /** A message on a subscribed channel. */
  message(channel: string, text: string): void;
  /** The connection is (again) ready: subscriptions must be made again. */
  ready(): void;
  /** The connection closed: nothing arrives until `ready`. */
  closed(): void;
}

/**
 * A connection of its own for pub/sub (a subscribed connection can send nothing else), made by
 * duplicating the user's client. The library created it, so `close` releases it; the user's
 * client is never closed. Connection errors are not reported here: the owner learns of trouble
 * through `closed`, and the gateway's own commands report it.
 */
export class Subscription {
  private readonly connection: RedisClient;

  constructor(client: RedisClient, listener: SubscriptionListener) {
    this.connection = client.duplicate();
    this.connection.on('error', () => undefined);
    this.connection.on('message', (channel: string, text: string) => {
      listener.message(channel, text);
    });
    this.connection.on('ready', () => {
      listener.ready();
    });
    this.connection.on('close', () => {
      listener.closed();
    });
  }

  /** Resolves once the server confirmed the subscription; rejects if it could not be made. */
  async subscribe(channel: string): Promise<void> {
    await this.connection.subscribe(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    await this.connection.unsubscribe(channel);
  }

  /** Closes the connection at once (nothing is left to flush on a subscriber). */
  close(): void {
    this.connection.disconnect();
  }
}
