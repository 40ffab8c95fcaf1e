import { performance } from 'node:perf_hooks';
import {
  ACQUIRE_LEASE,
  ENSURE_TAG_TOKEN,
  FENCED_SET,
  REDIS_TIME,
  RELEASE_LEASE,
  REPLACE_IF_UNCHANGED,
  SET_TTL,
  STORE_IF_LEASED,
  TAKE_LEASE_OR_UNEXPIRING_MARKER,
  TAKE_OVER_ENTRY,
  TAKE_OVER_ENTRY_BY_ID,
  type LuaScript,
} from '../scripts';
import type {
  ClientConnection,
  ConnectionState,
  Corkable,
  ScanNode,
  ScriptArgument,
  Subscriber,
} from './client-connection';
import { MemoryStore } from './memory-store';

const bytes = (value: ScriptArgument): Buffer =>
  Buffer.isBuffer(value) ? value : Buffer.from(String(value));
const int = (value: ScriptArgument): number => Number(String(value));

/** Compares the key's bytes `from..from+expected.length-1` with `expected` (GETRANGE ~= ARGV). */
function rangeIs(store: MemoryStore, key: string, from: number, expected: Buffer): boolean {
  return store.getRange(key, from, from + expected.length - 1).equals(expected);
}

/** True when the key's whole value is `expected` (GET ~= ARGV); an absent key never is. */
function valueIs(store: MemoryStore, key: string, expected: Buffer): boolean {
  return store.get(key)?.equals(expected) ?? false;
}

type Native = (store: MemoryStore, key: string, a: readonly ScriptArgument[]) => unknown;

/** The store's clock as Redis's `TIME` gives it: seconds and microseconds, as text. */
function timeNow(): [string, string] {
  const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  return [String(Math.floor(us / 1_000_000)), String(us % 1_000_000)];
}

/**
 * A fenced script (see `FENCE` in scripts.ts): refused past `ARGV[1]`, answering the code and the
 * time. Nothing is ever late in one synchronous step, but the shape is the script's.
 */
function fenced(native: Native): Native {
  return (store, key, [fence, ...args]) => {
    const [seconds, micros] = timeNow();
    if (Number(seconds) * 1_000_000 + Number(micros) > int(fence)) return [-1, seconds, micros];
    return [native(store, key, args), seconds, micros];
  };
}

/**
 * What each Lua script of `scripts.ts` does, done natively on the store, in one synchronous step
 * (atomic in one process as the script is in Redis). The argument order is the script's.
 */
const NATIVE = new Map<LuaScript, Native>([
  [REDIS_TIME, () => timeNow()],
  [
    FENCED_SET,
    fenced((s, key, [entry, px]) => {
      s.set(key, bytes(entry), int(px));
      return 1;
    }),
  ],
  [
    ACQUIRE_LEASE,
    fenced((s, key, [marker, px]) => {
      if (s.get(key) !== null) return 0;
      s.set(key, bytes(marker), int(px));
      return 1;
    }),
  ],
  [
    STORE_IF_LEASED,
    (s, key, [marker, entry, px]) => {
      if (!valueIs(s, key, bytes(marker))) return 0;
      s.set(key, bytes(entry), int(px));
      return 1;
    },
  ],
  [
    TAKE_LEASE_OR_UNEXPIRING_MARKER,
    fenced((s, key, [seen, marker, px]) => {
      if (s.get(key) !== null && (!valueIs(s, key, bytes(seen)) || s.pttl(key) !== -1)) return 0;
      s.set(key, bytes(marker), int(px));
      return 1;
    }),
  ],
  [
    TAKE_OVER_ENTRY,
    fenced((s, key, [seen, marker, px]) => {
      if (!valueIs(s, key, bytes(seen))) return 0;
      s.set(key, bytes(marker), int(px));
      return 1;
    }),
  ],
  [
    TAKE_OVER_ENTRY_BY_ID,
    fenced((s, key, [id, offset, marker, px]) => {
      if (!rangeIs(s, key, int(offset), bytes(id))) return 0;
      s.set(key, bytes(marker), int(px));
      return 1;
    }),
  ],
  [
    SET_TTL,
    (s, key, [px, freshUntil, freshUntilOffset, id, idOffset]) => {
      if (!rangeIs(s, key, int(idOffset), bytes(id))) return 0;
      s.setRange(key, int(freshUntilOffset), bytes(freshUntil));
      if (int(px) === 0) s.persist(key);
      else s.pexpire(key, int(px));
      return 1;
    },
  ],
  [
    ENSURE_TAG_TOKEN,
    (s, key, [candidate, px]) => {
      const current = s.get(key);
      if (current !== null) {
        s.pexpire(key, int(px));
        return current.toString();
      }
      s.set(key, bytes(candidate), int(px));
      return String(candidate);
    },
  ],
  [RELEASE_LEASE, (s, key, [marker]) => (valueIs(s, key, bytes(marker)) ? s.unlink([key]) : 0)],
  [
    REPLACE_IF_UNCHANGED,
    (s, key, [id, offset, , entry, px]) => {
      if (!rangeIs(s, key, int(offset), bytes(id))) return 0;
      s.set(key, bytes(entry), int(px));
      return 1;
    },
  ],
]);

/**
 * The embedded store behind the client interface: always ready, nothing to cork, scripts done
 * natively (there is no Lua here, and no emulator of it), pub/sub in process. Replies are
 * promises, settled on a later microtask, as a client's would be.
 */
export class MemoryConnection implements ClientConnection {
  readonly family = 'memory';
  readonly isCluster = false;
  readonly abortsUnsent = false;
  readonly directGet = undefined;

  constructor(readonly client: MemoryStore) {}

  state(): ConnectionState {
    return 'ready';
  }

  describeState(): string {
    return 'memory store';
  }

  onReady(): () => void {
    return () => undefined;
  }

  connect(): void {
    // Always connected.
  }

  /** Nothing to remove: the store has no listeners of ours. */
  detach(): void {}

  isReplyError(): boolean {
    return false;
  }

  get(key: string): Promise<Buffer | null> {
    return Promise.resolve(this.client.get(key));
  }

  getOrLease(key: string, marker: string, px: number): Promise<Buffer | null> {
    const found = this.client.get(key);
    if (found === null) this.client.set(key, marker, px);
    return Promise.resolve(found);
  }

  mget(keys: readonly string[]): Promise<Array<Buffer | null>> {
    return Promise.resolve(keys.map((key) => this.client.get(key)));
  }

  getString(key: string): Promise<string | null> {
    return Promise.resolve(this.client.get(key)?.toString() ?? null);
  }

  set(key: string, value: Buffer | string, px: number, nx: boolean): Promise<boolean> {
    return Promise.resolve(this.client.set(key, value, px, nx));
  }

  unlink(keys: readonly string[]): Promise<number> {
    return Promise.resolve(this.client.unlink(keys));
  }

  pttl(key: string): Promise<number> {
    return Promise.resolve(this.client.pttl(key));
  }

  getRange(key: string, start: number, end: number): Promise<Buffer> {
    return Promise.resolve(this.client.getRange(key, start, end));
  }

  pexpire(key: string, px: number): Promise<number> {
    return Promise.resolve(this.client.pexpire(key, px));
  }

  persist(key: string): Promise<number> {
    return Promise.resolve(this.client.persist(key));
  }

  exists(key: string): Promise<number> {
    return Promise.resolve(this.client.get(key) === null ? 0 : 1);
  }

  publish(channel: string, message: string): Promise<number> {
    return Promise.resolve(this.client.publish(channel, message));
  }

  evalSha(script: LuaScript, key: string, args: readonly ScriptArgument[]): Promise<unknown> {
    return this.evalSource(script, key, args);
  }

  evalSource(script: LuaScript, key: string, args: readonly ScriptArgument[]): Promise<unknown> {
    const native = NATIVE.get(script);
    if (native === undefined)
      return Promise.reject(new Error('[cache-aside] the memory store has no such script'));
    return Promise.resolve(native(this.client, key, args));
  }

  nodeOf(): undefined {
    return undefined;
  }

  servingNodes(): Set<string> {
    return new Set();
  }

  /** The store is its one master; SCAN is paged by COUNT there, as on a server. */
  masters(): Promise<ScanNode[]> {
    const store = this.client;
    return Promise.resolve([
      {
        // A refused cursor is a rejection, as a server's error reply would be.
        scan: (cursor, match, count) =>
          new Promise((resolve) => {
            resolve(store.scan(cursor, match, count));
          }),
        unlink: (keys) => Promise.resolve(store.unlink(keys.map(String))),
      },
    ]);
  }

  sockets(): Corkable[] {
    return [];
  }

  subscriber(): Subscriber {
    const stops: Array<() => void> = [];
    return {
      subscribe: (channel, onMessage) => {
        stops.push(this.client.subscribe(channel, onMessage));
        return Promise.resolve();
      },
      onStateChange: () => undefined,
      close: () => {
        for (const stop of stops.splice(0)) stop();
      },
    };
  }
}
