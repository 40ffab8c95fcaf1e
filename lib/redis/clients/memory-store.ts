import { EventEmitter } from 'node:events';

interface Slot {
  value: Buffer;
  /** `performance.now()` past which the key is gone; Infinity for no expiry. */
  expiresAt: number;
  /**
   * When the key was inserted (a counter, kept when the value is overwritten): the Map's own
   * iteration order, so a SCAN cursor can name a place in it that writes do not move.
   */
  readonly seq: number;
}

/**
 * An in-process key-value store with the Redis semantics the cache relies on: byte values,
 * expiry in milliseconds (PX, PEXPIRE, PERSIST, PTTL), SET NX, UNLINK, SCAN with a MATCH glob,
 * MGET, GETRANGE/SETRANGE, and pub/sub. SCAN is paged by COUNT with a cursor that writes do
 * not move: a key present for a whole scan is returned by it. It is what `cache-aside/testing` and `npm run demo`
 * run on, and what a unit test of an application can pass as `redis`: no server, no network.
 *
 * It is one process's memory: two processes (or two stores) share nothing. Expiry is checked on
 * access and swept while keys with a TTL exist (the sweep never keeps the process alive).
 */
export class MemoryStore {
  private readonly data = new Map<string, Slot>();
  private readonly channels = new EventEmitter();
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;
  /** The `seq` of the next key inserted; SCAN cursors are `seq`s, 0 the start. */
  private nextSeq = 1;

  constructor(private readonly now: () => number = () => performance.now()) {
    this.channels.setMaxListeners(0);
  }

  /** Number of live keys (expired ones excluded). */
  get size(): number {
    let live = 0;
    for (const key of [...this.data.keys()]) if (this.slot(key) !== undefined) live++;
    return live;
  }

  /** The bytes stored at `key`, or null when absent or expired (as Redis GET). */
  get(key: string): Buffer | null {
    return this.slot(key)?.value ?? null;
  }

  /** SET with PX `px` (no expiry when 0) and NX if asked; false when NX found the key. */
  set(key: string, value: Buffer | string, px = 0, nx = false): boolean {
    if (nx && this.slot(key) !== undefined) return false;
    const bytes = typeof value === 'string' ? Buffer.from(value) : Buffer.from(value);
    this.write(key, bytes, px > 0 ? this.now() + px : Infinity);
    if (px > 0) this.scheduleSweep();
    return true;
  }

  /** Removes keys; returns how many existed. */
  unlink(keys: readonly string[]): number {
    let removed = 0;
    for (const key of keys) if (this.slot(key) !== undefined && this.data.delete(key)) removed++;
    return removed;
  }

  /** Milliseconds left, -1 without expiry, -2 when absent (as Redis PTTL). */
  pttl(key: string): number {
    const slot = this.slot(key);
    if (slot === undefined) return -2;
    return slot.expiresAt === Infinity ? -1 : Math.max(0, Math.round(slot.expiresAt - this.now()));
  }

  /** 1 when the key exists and now expires in `px` ms (0 or less removes it). */
  pexpire(key: string, px: number): number {
    const slot = this.slot(key);
    if (slot === undefined) return 0;
    if (px <= 0) this.data.delete(key);
    else {
      slot.expiresAt = this.now() + px;
      this.scheduleSweep();
    }
    return 1;
  }

  /** 1 when the key had an expiry and no longer has one. */
  persist(key: string): number {
    const slot = this.slot(key);
    if (slot === undefined || slot.expiresAt === Infinity) return 0;
    slot.expiresAt = Infinity;
    return 1;
  }

  /** Bytes `start..end` inclusive (Redis GETRANGE, negative offsets from the end). */
  getRange(key: string, start: number, end: number): Buffer {
    const value = this.slot(key)?.value;
    if (value === undefined) return Buffer.alloc(0);
    const length = value.length;
    const from = Math.max(0, start < 0 ? length + start : start);
    const to = Math.min(length - 1, end < 0 ? length + end : end);
    return from > to ? Buffer.alloc(0) : Buffer.from(value.subarray(from, to + 1));
  }

  /** Overwrites bytes at `offset` (Redis SETRANGE on an existing key; zero-padded). */
  setRange(key: string, offset: number, bytes: Buffer): void {
    const slot = this.slot(key);
    const current = slot?.value ?? Buffer.alloc(0);
    const next = Buffer.alloc(Math.max(current.length, offset + bytes.length));
    current.copy(next);
    bytes.copy(next, offset);
    if (slot) slot.value = next;
    else this.write(key, next, Infinity);
  }

  /** Live keys matching a Redis glob (`*`, `?`, `[...]`, `\` escapes). */
  keysMatching(match: string): string[] {
    const pattern = globToRegExp(match);
    const found: string[] = [];
    for (const key of [...this.data.keys()]) {
      if (this.slot(key) !== undefined && pattern.test(key)) found.push(key);
    }
    return found;
  }

  /**
   * One SCAN step: looks at up to `count` keys after `cursor` (`'0'` to start), returns the next
   * cursor (`'0'` when done) and those of them that are live and match. As in Redis, a page may
   * be empty before the end, a key present for the whole scan is returned, and a key removed and
   * written again during it may be returned twice.
   */
  scan(cursor: string, match: string, count: number): [string, string[]] {
    if (!/^(0|[1-9][0-9]{0,15})$/.test(cursor) || Number(cursor) >= this.nextSeq)
      throw new Error('[cache-aside] memory store SCAN: invalid cursor');
    if (!Number.isInteger(count) || count < 1)
      throw new RangeError(
        '[cache-aside] memory store SCAN: COUNT must be an integer of 1 or more',
      );
    const after = Number(cursor);
    const pattern = globToRegExp(match);
    const found: string[] = [];
    let looked = 0;
    let last = after;
    // Map order is insertion order and `seq` grows with it: skip to the cursor, then look.
    for (const [key, slot] of this.data) {
      if (slot.seq <= after) continue;
      if (looked === count) return [String(last), found];
      looked++;
      last = slot.seq;
      if (this.slot(key) !== undefined && pattern.test(key)) found.push(key);
    }
    return ['0', found];
  }

  /** Delivers `message` to every subscriber of `channel`; returns how many got it. */
  publish(channel: string, message: string): number {
    const receivers = this.channels.listenerCount(channel);
    // Delivered on a later turn, as from a server: a publisher never runs a handler inline.
    if (receivers > 0) setImmediate(() => this.channels.emit(channel, message));
    return receivers;
  }

  /** Listens on a channel; messages arrive on a later turn, as from a server. Returns the unsubscribe function. */
  subscribe(channel: string, listener: (message: string) => void): () => void {
    this.channels.on(channel, listener);
    return () => this.channels.off(channel, listener);
  }

  /** Empties the store (a test's `beforeEach`). */
  clear(): void {
    this.data.clear();
  }

  /** Stops the expiry sweep and drops everything. */
  close(): void {
    this.closed = true;
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.data.clear();
    this.channels.removeAllListeners();
  }

  /** Stores bytes at `key`, keeping the key's place (its `seq`) when it exists. */
  private write(key: string, value: Buffer, expiresAt: number): void {
    const seq = this.data.get(key)?.seq ?? this.nextSeq++;
    this.data.set(key, { value, expiresAt, seq });
  }

  private slot(key: string): Slot | undefined {
    const slot = this.data.get(key);
    if (slot === undefined) return undefined;
    if (slot.expiresAt <= this.now()) {
      this.data.delete(key);
      return undefined;
    }
    return slot;
  }

  /** Expired keys leave memory within a second even if nobody reads them. */
  private scheduleSweep(): void {
    if (this.sweeper !== undefined || this.closed) return;
    this.sweeper = setInterval(() => {
      let withExpiry = 0;
      for (const key of [...this.data.keys()]) {
        const slot = this.slot(key);
        if (slot !== undefined && slot.expiresAt !== Infinity) withExpiry++;
      }
      if (withExpiry === 0 && this.sweeper !== undefined) {
        clearInterval(this.sweeper);
        this.sweeper = undefined;
      }
    }, 1000);
    this.sweeper.unref();
  }
}

/** A Redis MATCH glob as an anchored regular expression (linear: no nested quantifiers). */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '\\' && i + 1 < glob.length) source += escape(glob[++i]);
    else if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) {
        source += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, close);
      const negated = body.startsWith('^');
      if (negated) body = body.slice(1);
      source += `[${negated ? '^' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = close;
    } else source += escape(c);
  }
  return new RegExp(`^${source}$`);
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
