import type { ClientConnection, ScriptArgument } from './clients/client-connection';
import { isReplyError } from './redis-errors';
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

/**
 * The non-atomic path for a Redis user that may not run scripts (`-@scripting` in its ACL, or a
 * service that disables EVAL): each script's check and write as separate commands. Between the
 * check and the write another process may act (an invalidation landing between a lease check
 * and the store lets the value loaded before it in), so this is a documented degradation, chosen
 * over the alternative: storing nothing and leaving every lease to expire (each read of a recently
 * missed key waiting a lease period). Replies are what the script would answer.
 */
type Fallback = (
  c: ClientConnection,
  key: string,
  args: readonly ScriptArgument[],
  signal: AbortSignal | undefined,
) => Promise<unknown>;

/** True when `error` says this user may not run scripts at all (as opposed to a script failing). */
export function isScriptingRefused(error: unknown): boolean {
  if (!isReplyError(error)) return false;
  const message = (error as Error).message;
  return (
    /^NOPERM\b.*'(eval|evalsha)'/i.test(message) ||
    /^ERR unknown command .(eval|evalsha)./i.test(message)
  );
}

const px = (value: ScriptArgument): number => Number(value);
/** An argument as Redis receives it: Buffers as they are, strings and numbers as UTF-8. */
const bytesOf = (value: ScriptArgument): Buffer =>
  Buffer.isBuffer(value) ? value : Buffer.from(String(value));
const text = (value: ScriptArgument): string => bytesOf(value).toString();
const same = (found: Buffer | null, expected: ScriptArgument): boolean =>
  found !== null && found.equals(bytesOf(expected));
/** A script's reply for "written" / "not written". */
const written = async (write: Promise<boolean>): Promise<number> => Number(await write);

/**
 * Fenced scripts (`scripts.ts`) are given their arguments without the fence, and answer with the
 * code alone: without scripting there is no Redis clock to fence with, so a write the caller gave
 * up on may land late (documented with the rest of this path).
 */
const FALLBACKS = new Map<LuaScript, Fallback>([
  // No clock sample without scripting: the gateway then goes without a fence.
  [REDIS_TIME, () => Promise.resolve(null)],
  [
    FENCED_SET,
    (c, key, [entry, ms], signal) => written(c.set(key, bytesOf(entry), px(ms), false, signal)),
  ],
  [
    ACQUIRE_LEASE,
    (c, key, [marker, ms], signal) => written(c.set(key, text(marker), px(ms), true, signal)),
  ],
  [
    STORE_IF_LEASED,
    async (c, key, [marker, entry, ms], signal) => {
      if (!same(await c.get(key), marker)) return 0;
      return written(c.set(key, bytesOf(entry), px(ms), false, signal));
    },
  ],
  [
    RELEASE_LEASE,
    async (c, key, [marker], signal) =>
      same(await c.get(key), marker) ? c.unlink([key], signal) : 0,
  ],
  [
    TAKE_LEASE_OR_UNEXPIRING_MARKER,
    async (c, key, [seen, marker, ms], signal) => {
      const current = await c.get(key);
      if (current !== null && (!same(current, seen) || (await c.pttl(key)) !== -1)) return 0;
      return written(c.set(key, text(marker), px(ms), false, signal));
    },
  ],
  [
    TAKE_OVER_ENTRY,
    async (c, key, [seen, marker, ms], signal) => {
      if (!same(await c.get(key), seen)) return 0;
      return written(c.set(key, text(marker), px(ms), false, signal));
    },
  ],
  [
    TAKE_OVER_ENTRY_BY_ID,
    async (c, key, [id, offset, marker, ms], signal) => {
      const from = Number(offset);
      const found = await c.getRange(key, from, from + text(id).length - 1);
      if (!same(found, id)) return 0;
      return written(c.set(key, text(marker), px(ms), false, signal));
    },
  ],
  [
    REPLACE_IF_UNCHANGED,
    async (c, key, [id, offset, length, entry, ms], signal) => {
      const from = Number(offset);
      if (!same(await c.getRange(key, from, from + Number(length) - 1), id)) return 0;
      return written(c.set(key, bytesOf(entry), px(ms), false, signal));
    },
  ],
  [
    SET_TTL,
    // The entry is read, patched here and written whole (SETRANGE would need one more command).
    async (c, key, [ms, bytes, offset, id, idOffset], signal) => {
      const current = await c.get(key);
      const from = Number(idOffset);
      if (current === null || !same(current.subarray(from, from + text(id).length), id)) return 0;
      const patched = Buffer.from(current);
      bytesOf(bytes).copy(patched, Number(offset));
      return written(c.set(key, patched, px(ms), false, signal));
    },
  ],
  [
    ENSURE_TAG_TOKEN,
    async (c, key, [candidate, ms], signal) => {
      if (await c.set(key, text(candidate), px(ms), true, signal)) return text(candidate);
      const current = await c.getString(key);
      if (current !== null) await c.pexpire(key, px(ms), signal);
      return current ?? text(candidate);
    },
  ],
]);

/** The non-atomic equivalent of a script (every script of scripts.ts has one). */
export function fallbackOf(script: LuaScript): Fallback {
  const fallback = FALLBACKS.get(script);
  if (fallback === undefined)
    throw new Error('[cache-aside] a script without a non-atomic equivalent (script-fallbacks.ts)');
  return fallback;
}
