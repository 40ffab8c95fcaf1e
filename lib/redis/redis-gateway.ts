import calculateSlot from 'cluster-key-slot';
import type { CircuitBreaker, CircuitState } from './circuit-breaker';
import type {
  ClientConnection,
  ScanNode,
  ScriptArgument,
  Subscriber,
} from './clients/client-connection';
import { CommandRunner, type Command } from './command-runner';
import type { EntryGuard, EntryPatch } from './entry-guard';
import { connectionFor, type RedisClient } from './redis-client';
import { fallbackOf, isScriptingRefused } from './script-fallbacks';
import { RedisUnavailableError } from '../errors/redis-unavailable.error';
import { LateWriteRefusedError } from '../errors/deadline-exceeded.error';
import { RedisClock } from './redis-clock';
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
} from './scripts';

export interface RedisGatewayOptions {
  /** Deadline of every command, in milliseconds. */
  operationTimeout: number;
  breaker: CircuitBreaker;
  /** SCAN's COUNT hint and the UNLINK batch size. */
  scanCount: number;
  /** One socket write per tick of the event loop (see `write-coalescer.ts`). */
  coalesceWrites: boolean;
  /** Called once when Redis refuses scripts to this user (the non-atomic path is taken). */
  onScriptingRefused?: (error: unknown) => void;
}

/**
 * How many times a fenced write that Redis refused as late is sent again. A refusal that reaches
 * its caller while the caller still waits means the write sat behind a backlog of our own longer
 * than its window (a burst of 20,000 misses on a loaded machine), not that the caller gave up on
 * it: the write did nothing, and is sent anew with a fence from now.
 */
export const LATE_WRITE_RETRIES = 2;

/** Deadline added per key of a batch chunk: room for Redis to read and send each value. */
export const BATCH_MS_PER_KEY = 0.1;

/** `PX` argument for a TTL in milliseconds; `0` stands for "no expiry". */
export type Milliseconds = number;

/**
 * The only code that sends Redis commands: the typed commands the cache needs, Cluster-aware
 * (multi-key commands grouped per slot, SCAN on every master), each sent through the
 * `CommandRunner` (deadline, circuit breaker, connection state) to the client's adapter
 * (`clients/`), whichever client family the application uses.
 */
export class RedisGateway {
  private readonly runner: CommandRunner;
  /** Redis's clock per node, for the fence of writes (see `redis-clock.ts`). */
  private readonly clock = new RedisClock();
  /** The clock request of each slot while one is on its way (see `sampleClock`). */
  private readonly sampling = new Map<number, Promise<boolean>>();
  /** False once Redis refused a script to this user: scripts' non-atomic equivalents are used. */
  private scripting = true;
  /** The adapter of the application's client (see `clients/client-connection.ts`). */
  readonly connection: ClientConnection;
  /** A batch view's connection is its parent's, which detaches it. */
  private readonly sharesConnection: boolean;

  private batchView: RedisGateway | undefined;

  /**
   * Refuses a client it does not recognise with a `CacheTypeError` naming the accepted ones.
   * `shared` is the connection of the gateway this one is a batch view of (see `forBatches`).
   */
  constructor(
    readonly client: RedisClient,
    private readonly options: RedisGatewayOptions,
    shared?: ClientConnection,
  ) {
    this.connection = shared ?? connectionFor(client);
    this.sharesConnection = shared !== undefined;
    this.runner = new CommandRunner(
      this.connection,
      options.breaker,
      options.operationTimeout,
      options.coalesceWrites,
      shared === undefined,
    );
    // A reconnected client may reach another node (a Sentinel failover): sample its clock anew.
    this.runner.onRecovered(() => {
      this.clock.forget();
    });
  }

  /**
   * The same client, for the chunks of a large batch (`getMany`): each command's deadline is
   * `operationTimeout` plus {@link BATCH_MS_PER_KEY} per key of a chunk of `chunkSize` keys, and
   * its failures are not counted by the circuit breaker (a batch too large for its deadline says
   * nothing about Redis being down; they are reported, once per chunk, by the caller).
   */
  forBatches(chunkSize: number): RedisGateway {
    this.batchView ??= new RedisGateway(
      this.client,
      {
        ...this.options,
        operationTimeout: this.options.operationTimeout + chunkSize * BATCH_MS_PER_KEY,
        onScriptingRefused: (error) => {
          this.noteScriptingRefused(error);
        },
      },
      this.connection,
    );
    return this.batchView;
  }

  /** See `CommandRunner.onRecovered`. */
  onRecovered(listener: () => void): void {
    this.runner.onRecovered(listener);
  }

  /** The circuit breaker's state, for `stats()`: on a Cluster, the worst of its nodes'. */
  get circuit(): CircuitState {
    return this.runner.circuit;
  }

  /** Each Cluster node's breaker state, by address (empty when standalone). */
  circuits(): Record<string, CircuitState> {
    return this.runner.circuits();
  }

  /** Lets go of the user's client: our listeners on it, and the connection's (when it is ours). */
  detach(): void {
    this.runner.detach();
    this.batchView?.detach();
    if (!this.sharesConnection) this.connection.detach();
  }

  /** A new connection for subscribing (the L1 bus); the caller closes it. */
  subscriber(): Subscriber {
    return this.connection.subscriber();
  }

  /** The hot path of a hit: ioredis's own promise when it can be (see `CommandRunner.getBuffer`). */
  get(key: string): Promise<Buffer | null> {
    return this.runner.getBuffer(key);
  }

  /** True when a write would be sent now: the client is ready (the circuit aside). */
  get writable(): boolean {
    return this.runner.canSend(true);
  }

  /**
   * A key's bytes as `get` answers them, and when the key was absent (null), our lease `marker`
   * put there in the same command (`SET NX PX GET`, Redis 7): a miss saves the separate lease
   * take. Like any write, sent only to a ready client. Not fenced, as a lease take need not be
   * (see `fencedEval`): a caller who gives up on it gives the lease back behind it.
   */
  getOrLease(key: string, marker: string, px: Milliseconds): Promise<Buffer | null> {
    return this.run((c, signal) => c.getOrLease(key, marker, px, signal), true, key);
  }

  /** Values of many keys in one round trip (one MGET per slot on a Cluster, sent together). */
  async mget(keys: readonly string[]): Promise<Array<Buffer | null>> {
    if (keys.length === 0) return [];
    if (!this.connection.isCluster) return this.run((c) => c.mget(keys), false, keys[0]);
    const groups = groupBySlot(keys);
    const results = new Array<Buffer | null>(keys.length);
    await Promise.all(
      [...groups.values()].map(async (indexes) => {
        const slotKeys = indexes.map((i) => keys[i]);
        const values = await this.run((c) => c.mget(slotKeys), false, slotKeys[0]);
        indexes.forEach((keyIndex, i) => (results[keyIndex] = values[i]));
      }),
    );
    return results;
  }

  /** Writes an entry (fenced: it never lands after its caller gave up, see `scripts.ts`). */
  async set(key: string, value: Buffer, px: Milliseconds): Promise<void> {
    await this.fencedEval(FENCED_SET, key, [value, px]);
  }

  /** Takes the load lease of an absent key. */
  async acquireLease(key: string, marker: string, px: Milliseconds): Promise<boolean> {
    return (await this.fencedEval(ACQUIRE_LEASE, key, [marker, px], px)) === 1;
  }

  /** Takes the load lease of a key leased by `seen`: if it went, or if `seen` never expires. */
  async takeLeaseFrom(
    key: string,
    seen: string,
    marker: string,
    px: Milliseconds,
  ): Promise<boolean> {
    const args = [seen, marker, px];
    return (await this.fencedEval(TAKE_LEASE_OR_UNEXPIRING_MARKER, key, args, px)) === 1;
  }

  /** Takes the load lease of a key whose current bytes are `seen` (an unusable entry). */
  async takeOver(key: string, seen: Buffer, marker: string, px: Milliseconds): Promise<boolean> {
    return (await this.fencedEval(TAKE_OVER_ENTRY, key, [seen, marker, px], px)) === 1;
  }

  /** Takes the load lease of a key whose entry still has the guard's id (a stale entry of ours). */
  async takeOverById(
    key: string,
    guard: EntryGuard,
    marker: string,
    px: Milliseconds,
  ): Promise<boolean> {
    const args = [guard.id, guard.offset, marker, px];
    return (await this.fencedEval(TAKE_OVER_ENTRY_BY_ID, key, args, px)) === 1;
  }

  /**
   * Stores `entry` only if our lease `marker` is still at the key. Not fenced: the marker is the
   * guard. Anything that happened at the key since our take (an invalidation, a write, another
   * take) removed it, so a late store lands only where nothing newer was written.
   */
  async storeIfLeased(
    key: string,
    marker: string,
    entry: Buffer,
    px: Milliseconds,
  ): Promise<boolean> {
    return Number(await this.eval(STORE_IF_LEASED, key, [marker, entry, px])) === 1;
  }

  /** Gives our lease back (compare-and-delete). */
  async releaseLease(key: string, marker: string): Promise<boolean> {
    return (await this.eval(RELEASE_LEASE, key, [marker])) === 1;
  }

  /** Writes `entry` only if the key still holds the entry the guard names. */
  async replaceIfUnchanged(
    key: string,
    guard: EntryGuard,
    entry: Buffer,
    px: Milliseconds,
  ): Promise<boolean> {
    const args = [guard.id, guard.offset, guard.id.length, entry, px];
    return (await this.eval(REPLACE_IF_UNCHANGED, key, args)) === 1;
  }

  /** Removes keys; on a Cluster one UNLINK per slot, sent together, since keys may span slots. */
  async unlink(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    if (!this.connection.isCluster)
      return this.run((c, signal) => c.unlink(keys, signal), true, keys[0]);
    const counts = await Promise.all(
      [...groupBySlot(keys).values()].map((indexes) =>
        this.run(
          (c, signal) =>
            c.unlink(
              indexes.map((i) => keys[i]),
              signal,
            ),
          true,
          keys[indexes[0]],
        ),
      ),
    );
    return counts.reduce((sum, n) => sum + n, 0);
  }

  /**
   * UNLINK of keys, with the first `headLength` bytes each held just before (empty where none):
   * the reads are sent in the same tick as the UNLINK, so it is still one round trip, and the
   * caller can tell what it removed (an entry, a load lease). Also `removed`, UNLINK's own count.
   */
  async unlinkWithHeads(
    keys: readonly string[],
    headLength: number,
  ): Promise<{ removed: number; heads: Buffer[] }> {
    const heads = keys.map((key) =>
      this.run((c) => c.getRange(key, 0, headLength - 1), false).catch(() => Buffer.alloc(0)),
    );
    const removed = await this.unlink(keys);
    return { removed, heads: await Promise.all(heads) };
  }

  /**
   * SCAN + UNLINK in batches on every master (never KEYS), so a large keyspace is cleared without
   * blocking Redis. Returns the number of keys removed.
   */
  async unlinkMatching(match: string): Promise<number> {
    if (!this.runner.canSend(true))
      throw new RedisUnavailableError(this.runner.unavailableReason());
    const nodes = await this.connection.masters();
    const removed = await Promise.all(nodes.map((node) => this.unlinkMatchingOn(node, match)));
    return removed.reduce((sum, n) => sum + n, 0);
  }

  /** Milliseconds left (Redis PTTL) and the first `headLength` bytes of the value (empty if none). */
  async inspect(key: string, headLength: number): Promise<{ pttl: number; head: Buffer }> {
    const pttl = await this.run((c) => c.pttl(key), false, key);
    if (pttl === -2) return { pttl, head: Buffer.alloc(0) };
    return { pttl, head: await this.run((c) => c.getRange(key, 0, headLength - 1), false, key) };
  }

  /**
   * Sets the key's Redis expiry (`px`, `0` for none) and applies the patch (the entry's logical
   * expiry), both only if the key still holds the entry the patch's guard names.
   */
  async setEntryTtl(key: string, px: Milliseconds, patch: EntryPatch): Promise<boolean> {
    const { guard } = patch;
    const args = [px, patch.bytes, patch.offset, guard.id, guard.offset];
    return (await this.eval(SET_TTL, key, args)) === 1;
  }

  /** Plain PEXPIRE / PERSIST, for a value that is not one of our entries. */
  async expire(key: string, px: Milliseconds): Promise<boolean> {
    const changed = await this.run(
      (c, signal) => (px > 0 ? c.pexpire(key, px, signal) : c.persist(key, signal)),
      true,
      key,
    );
    return changed === 1 || (px === 0 && (await this.run((c) => c.exists(key), false, key)) === 1);
  }

  /** Current version tokens of tags (null where a tag was never used). */
  getStrings(keys: readonly string[]): Promise<Array<string | null>> {
    return Promise.all(keys.map((key) => this.run((c) => c.getString(key), false, key)));
  }

  ensureTagToken(key: string, candidate: string, px: Milliseconds): Promise<string> {
    return this.eval(ENSURE_TAG_TOKEN, key, [candidate, px]) as Promise<string>;
  }

  /** PUBLISH (on a Cluster, Redis forwards it to every node). */
  async publish(channel: string, message: string): Promise<void> {
    await this.run((c, signal) => c.publish(channel, message, signal), true);
  }

  async setString(key: string, value: string, px: Milliseconds): Promise<void> {
    await this.run((c, signal) => c.set(key, value, px, false, signal), true, key);
  }

  private async unlinkMatchingOn(node: ScanNode, match: string): Promise<number> {
    let cursor = '0';
    let removed = 0;
    do {
      const [next, keys] = await this.run(
        () => node.scan(cursor, match, this.options.scanCount),
        false,
      );
      cursor = next;
      if (keys.length > 0) removed += await this.run(() => node.unlink(keys), true);
    } while (cursor !== '0');
    return removed;
  }

  /**
   * Runs a fenced script (see `FENCE` in `scripts.ts`): Redis does nothing once `windowMs` has
   * passed since the command was handed to the client; resolves with the script's code, or
   * rejects with a `LateWriteRefusedError` when Redis got it too late {@link LATE_WRITE_RETRIES}
   * more times. The first write to a node
   * asks for its clock first (one round trip, shared by every write waiting for it); every
   * fenced reply narrows it. Without scripting there is no fence: the script's non-atomic
   * equivalent runs with `args`.
   *
   * The window is the caller's deadline (`operationTimeout`) for a plain `set`, which nothing
   * else guards. A lease take gets the lease's lifetime instead: a late take is given back
   * behind it on the same connection, so it cannot hold a key for long, while a burst of our own
   * that Redis works through for longer than the deadline still takes its leases (issue #12
   * finding 5). A store under our lease has no fence at all (see `STORE_IF_LEASED`).
   */
  private async fencedEval(
    script: LuaScript,
    key: string,
    args: readonly ScriptArgument[],
    windowMs: number = this.options.operationTimeout,
  ): Promise<number> {
    if (!this.scripting) return Number(await this.withoutScripting(script, key, args));
    const slot = this.connection.isCluster ? calculateSlot(key) : 0;
    // Scripting refused just now: no clock to fence with, the non-atomic path instead.
    if (!this.clock.knows(slot) && !(await this.sampleClock(slot, key)))
      return Number(await this.withoutScripting(script, key, args));
    let sentAt = 0;
    // Without a sample (forgotten meanwhile), a fence of 0: refused, and the reply brings one.
    const withFence = (): ScriptArgument[] => {
      sentAt = this.clock.now();
      return [this.clock.fence(slot, windowMs) ?? 0, ...args];
    };
    for (let attempt = 0; ; attempt++) {
      const reply = await this.eval(script, key, withFence, args);
      if (!Array.isArray(reply)) return Number(reply); // answered by the non-atomic equivalent
      const [code, seconds, micros] = reply as unknown[];
      this.clock.observe(slot, seconds, micros, sentAt);
      if (code !== -1) return Number(code);
      if (attempt === LATE_WRITE_RETRIES)
        throw new LateWriteRefusedError(this.options.operationTimeout);
    }
  }

  /**
   * Asks a node for its clock (routed by `key`): one request per slot at a time, shared by every
   * write that waits for it (a burst of 20,000 misses sent one, not 20,000). False when this user
   * may not run scripts.
   */
  private sampleClock(slot: number, key: string): Promise<boolean> {
    let sampling = this.sampling.get(slot);
    if (sampling === undefined) {
      const sentAt = this.clock.now();
      sampling = this.eval(REDIS_TIME, key, [])
        .then((time) => {
          if (!Array.isArray(time)) return false;
          this.clock.observe(slot, time[0], time[1], sentAt);
          return true;
        })
        .finally(() => this.sampling.delete(slot));
      this.sampling.set(slot, sampling);
    }
    return sampling;
  }

  /**
   * Where script execution is decided: EVALSHA, falling back to EVAL once when the server does
   * not know the script yet; for a user that may not run scripts (`-@scripting`), the script's
   * non-atomic equivalent from then on (called with `fallbackArgs`: a fenced script's arguments
   * without the fence), said once through `onScriptingRefused`. `args` may be computed as each
   * attempt is sent (a fence measured from that moment).
   */
  private async eval(
    script: LuaScript,
    key: string,
    args: readonly ScriptArgument[] | (() => readonly ScriptArgument[]),
    fallbackArgs?: readonly ScriptArgument[],
  ): Promise<unknown> {
    const argsNow = typeof args === 'function' ? args : () => args;
    if (!this.scripting) return this.withoutScripting(script, key, fallbackArgs ?? argsNow());
    try {
      try {
        return await this.run((c, signal) => c.evalSha(script, key, argsNow(), signal), true, key);
      } catch (error) {
        if (!String((error as Error | undefined)?.message).startsWith('NOSCRIPT')) throw error;
        return await this.run(
          (c, signal) => c.evalSource(script, key, argsNow(), signal),
          true,
          key,
        );
      }
    } catch (error) {
      if (!isScriptingRefused(error)) throw error;
      this.noteScriptingRefused(error);
      return this.withoutScripting(script, key, fallbackArgs ?? argsNow());
    }
  }

  /** From now on without scripts; said once (for this gateway and its batch view together). */
  private noteScriptingRefused(error: unknown): void {
    if (!this.scripting) return;
    this.scripting = false;
    this.options.onScriptingRefused?.(error);
  }

  /** The script's non-atomic equivalent (see `script-fallbacks.ts`). */
  private withoutScripting(
    script: LuaScript,
    key: string,
    args: readonly ScriptArgument[],
  ): Promise<unknown> {
    const fallback = fallbackOf(script);
    return this.run((c, signal) => fallback(c, key, args, signal), true, key);
  }

  /** `key`, where the command has one, picks the Cluster node's circuit breaker. */
  private run<T>(command: Command<T>, write: boolean, key?: string): Promise<T> {
    return this.runner.run(command, write, key);
  }
}

function groupBySlot(keys: readonly string[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  keys.forEach((key, index) => {
    const slot = calculateSlot(key);
    const group = groups.get(slot);
    if (group) group.push(index);
    else groups.set(slot, [index]);
  });
  return groups;
}
