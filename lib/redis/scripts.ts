import { createHash } from 'node:crypto';

/**
 * The Lua scripts the gateway runs. Each one exists because its steps must be atomic: between a
 * separate check and write, another process could invalidate or overwrite the key. Every script
 * touches exactly one key, so it runs unchanged on a Redis Cluster.
 */
export interface LuaScript {
  readonly source: string;
  readonly sha1: string;
}

function script(source: string): LuaScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/**
 * The fence every write that could land over a newer one starts with (a `set`, a store after a
 * load, a lease take): it reads Redis's clock and refuses to run past `ARGV[1]`, the caller's
 * deadline in Redis's microseconds (see `redis-clock.ts`). A command held by the network until
 * its caller gave up (fail-open) then does nothing when it finally arrives: it cannot replace a
 * later write of another process, nor leave a lease nobody is loading under. A fenced script
 * answers `{code, seconds, microseconds}`: `code` -1 when it was too late (nothing done), and
 * Redis's `TIME`, from which the gateway keeps the clock offset up to date at no extra cost.
 */
const FENCE = `
local t = redis.call('TIME')
if tonumber(t[1]) * 1000000 + tonumber(t[2]) > tonumber(ARGV[1]) then return {-1, t[1], t[2]} end
`;

/** A fenced script: the fence, then `body`, which answers with `done(code)`. */
function fenced(body: string): LuaScript {
  return script(`${FENCE}local function done(code) return {code, t[1], t[2]} end\n${body}`);
}

/** Redis's clock, for the first sample of a node before a fenced write. KEYS[1] routes it. */
export const REDIS_TIME = script(`return redis.call('TIME')`);

/**
 * `set`: the entry, with its expiry. KEYS[1] key; ARGV[1] fence; ARGV[2] entry; ARGV[3] PX
 * milliseconds, '0' for no expiry.
 */
export const FENCED_SET = fenced(`
if ARGV[3] == '0' then redis.call('SET', KEYS[1], ARGV[2])
else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return done(1)
`);

/**
 * Take the load lease of an absent key (`SET NX PX`). KEYS[1] key; ARGV[1] fence; ARGV[2] lease
 * marker; ARGV[3] lease PX milliseconds.
 */
export const ACQUIRE_LEASE = fenced(`
if redis.call('SET', KEYS[1], ARGV[2], 'NX', 'PX', ARGV[3]) then return done(1) end
return done(0)
`);

/**
 * Store a loaded value only if our load lease is still at the key. An invalidation (UNLINK), a
 * `set`, or another process's lease after ours expired all remove or replace the lease, and then
 * this write is refused: a value loaded before an invalidation never lands after it. This also
 * makes a store that ioredis replays after a reconnect harmless, and is why it needs no fence.
 * KEYS[1] key; ARGV[1] lease marker; ARGV[2] entry; ARGV[3] PX milliseconds, '0' for no expiry.
 */
export const STORE_IF_LEASED = script(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] == '0' then redis.call('SET', KEYS[1], ARGV[2])
else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1
`);

/**
 * Take the load lease of a key we found leased: `SET NX` if the lease went meanwhile, or take
 * over the very marker we read when it has no expiry. Our leases always expire, so a marker
 * without one was not written by a manager (a planted or restored key): waiting for it to go
 * would make every read of the key wait a full lease period, forever.
 * KEYS[1] key; ARGV[1] fence; ARGV[2] the marker we read; ARGV[3] lease marker; ARGV[4] lease PX
 * milliseconds.
 */
export const TAKE_LEASE_OR_UNEXPIRING_MARKER = fenced(`
local current = redis.call('GET', KEYS[1])
if current and (current ~= ARGV[2] or redis.call('PTTL', KEYS[1]) ~= -1) then return done(0) end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return done(1)
`);

/**
 * Take the load lease over an entry we read and found unusable (undecodable, or stale), but
 * only if nobody replaced it in between — a concurrent fresh write must not be clobbered.
 * KEYS[1] key; ARGV[1] fence; ARGV[2] the bytes we read; ARGV[3] lease marker; ARGV[4] lease PX
 * milliseconds.
 */
export const TAKE_OVER_ENTRY = fenced(`
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return done(0) end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return done(1)
`);

/**
 * Take the load lease over a stale entry of ours, named by its entry id rather than by all its
 * bytes (an entry may be up to maxValueBytes; its id is 8 ASCII bytes), if nobody replaced it.
 * KEYS[1] key; ARGV[1] fence; ARGV[2] entry id; ARGV[3] id offset (0-based); ARGV[4] lease
 * marker; ARGV[5] lease PX milliseconds.
 */
export const TAKE_OVER_ENTRY_BY_ID = fenced(`
local from = tonumber(ARGV[3])
if redis.call('GETRANGE', KEYS[1], from, from + string.len(ARGV[2]) - 1) ~= ARGV[2] then return done(0) end
redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
return done(1)
`);

/**
 * Change the TTL of an entry: its Redis expiry and the logical expiry in the envelope together,
 * so the two never disagree — but only if it is still the entry we inspected (same entry id),
 * so a concurrent write is not given a TTL meant for its predecessor.
 * KEYS[1] key; ARGV[1] PX milliseconds or '0' for none; ARGV[2] new fresh-until (8 bytes f64 LE);
 * ARGV[3] 0-based offset of fresh-until; ARGV[4] entry id; ARGV[5] 0-based offset of the id.
 */
export const SET_TTL = script(`
local from = tonumber(ARGV[5])
if redis.call('GETRANGE', KEYS[1], from, from + string.len(ARGV[4]) - 1) ~= ARGV[4] then return 0 end
redis.call('SETRANGE', KEYS[1], tonumber(ARGV[3]), ARGV[2])
if ARGV[1] == '0' then redis.call('PERSIST', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1
`);

/**
 * Read a tag's version token, creating it if the tag was never seen, in one step so that two
 * processes tagging their first entry agree on one token. Each use extends its life: a tag key
 * nobody uses any more goes away by itself (its expiry can only turn entries into misses).
 * KEYS[1] tag key; ARGV[1] candidate token; ARGV[2] PX milliseconds.
 */
export const ENSURE_TAG_TOKEN = script(`
local current = redis.call('GET', KEYS[1])
if current then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return current
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
`);

/**
 * Give a lease back without storing (the loader failed, or its result is not to be cached), so
 * other processes stop waiting at once instead of after the lease TTL. Only our own lease.
 * KEYS[1] key; ARGV[1] lease marker.
 */
export const RELEASE_LEASE = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/**
 * Replace an entry by a refreshed one only if it is still the entry the refresh started from
 * (same entry id): an invalidation or a newer write in between wins over the refresh.
 * KEYS[1] key; ARGV[1] entry id; ARGV[2] id offset (0-based); ARGV[3] id length;
 * ARGV[4] new entry; ARGV[5] PX milliseconds or '0'.
 */
export const REPLACE_IF_UNCHANGED = script(`
local from = tonumber(ARGV[2])
if redis.call('GETRANGE', KEYS[1], from, from + tonumber(ARGV[3]) - 1) ~= ARGV[1] then return 0 end
if ARGV[5] == '0' then redis.call('SET', KEYS[1], ARGV[4])
else redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5]) end
return 1
`);
