import { setMaxListeners } from 'node:events';

/**
 * The abort signal the writes of one tick share, on a client that can drop a command it has not
 * written yet (node-redis): a write whose deadline passed before it went out is dropped, never
 * to land later. One controller per write cost a node-redis miss ~8 µs of its ~55 (creating the
 * signal and its listeners), so the writes of a tick share one, which is aborted only once every
 * one of them has settled and at least one by its deadline: no write is dropped before its own
 * deadline, none that answered is touched, and none is failed by another's expiry (an abort
 * then reaches only writes whose deadline already rejected them). The writes of one tick share
 * their deadline length and start within the tick, so the expired ones wait at most that spread.
 */
export class TickAbort {
  private readonly controller = new AbortController();
  private open = 0;
  private expired = false;

  constructor() {
    // Every write's client listens on it: many listeners on one signal is the point here.
    setMaxListeners(0, this.controller.signal);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** A write of this tick was sent with the signal. */
  joined(): void {
    this.open++;
  }

  /** A write of this tick settled: answered, failed, or (`byDeadline`) given up on. */
  settled(byDeadline: boolean): void {
    if (byDeadline) this.expired = true;
    if (--this.open === 0 && this.expired) this.controller.abort();
  }
}
