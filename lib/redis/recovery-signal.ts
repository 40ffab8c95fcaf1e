import type { ClientConnection } from './clients/client-connection';

/**
 * "Redis is back", told once per connection whichever command runner saw it. A manager sends
 * through two runners on one connection (its own, and its `getMany` chunks' batch view, see
 * `RedisGateway.forBatches`): when a chunk was the first command to succeed after an outage,
 * the queued invalidations waited for their retry timer, and other processes read the stale
 * entries meanwhile (issue #12, the soak's stale reads after a stall).
 *
 * On a `ready` event each runner on the connection tells it (after resetting its own breakers):
 * listeners must not mind being told twice (a replay already running is joined, a clock sample
 * forgotten twice is forgotten).
 */
export class RecoverySignal {
  private readonly listeners = new Set<() => void>();

  /** Adds a listener; returns what removes it. */
  listen(listener: () => void): () => void {
    // A wrapper per call: the same function listened to twice is told twice, as before.
    const entry = (): void => {
      listener();
    };
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** Tells every listener, now. */
  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

const signals = new WeakMap<ClientConnection, RecoverySignal>();

/** The one signal of a connection (made on first use, gone with the connection). */
export function recoverySignalOf(connection: ClientConnection): RecoverySignal {
  let signal = signals.get(connection);
  if (signal === undefined) {
    signal = new RecoverySignal();
    signals.set(connection, signal);
  }
  return signal;
}
