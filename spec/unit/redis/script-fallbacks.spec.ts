import { MemoryConnection } from '../../../lib/redis/clients/memory';
import { MemoryStore } from '../../../lib/redis/clients/memory-store';
import { fallbackOf, isScriptingRefused } from '../../../lib/redis/script-fallbacks';
import {
  ENSURE_TAG_TOKEN,
  RELEASE_LEASE,
  REPLACE_IF_UNCHANGED,
  SET_TTL,
  STORE_IF_LEASED,
  TAKE_LEASE_OR_UNEXPIRING_MARKER,
  TAKE_OVER_ENTRY,
  TAKE_OVER_ENTRY_BY_ID,
  type LuaScript,
} from '../../../lib/redis/scripts';

/** The non-atomic path without scripting answers what each script would (checked one by one). */
describe('script fallbacks (a Redis user without scripting)', () => {
  let c: MemoryConnection;
  const run = (script: LuaScript, key: string, ...args: Array<string | Buffer | number>) => {
    return fallbackOf(script)(c, key, args, undefined);
  };

  beforeEach(() => {
    c = new MemoryConnection(new MemoryStore());
  });

  it('tells a refusal of scripts from other errors', () => {
    const reply = (message: string): Error =>
      Object.assign(new Error(message), { name: 'ReplyError' });
    expect(
      isScriptingRefused(reply("NOPERM User u has no permissions to run the 'evalsha' command")),
    ).toBe(true);
    expect(isScriptingRefused(reply("ERR unknown command 'EVAL', with args beginning with:"))).toBe(
      true,
    );
    expect(isScriptingRefused(reply('NOPERM No permissions to access a key'))).toBe(false);
    expect(isScriptingRefused(new Error("NOPERM 'eval'"))).toBe(false); // not a reply
    expect(() => fallbackOf({ source: 'return 1', sha1: 'x' })).toThrow(/non-atomic/);
  });

  it('stores only under our lease, and releases only our lease', async () => {
    await c.set('k', 'lease-a', 1000, false);
    expect(await run(STORE_IF_LEASED, 'k', 'lease-b', Buffer.from('x'), 1000)).toBe(0);
    expect(await run(RELEASE_LEASE, 'k', 'lease-b')).toBe(0);
    expect(await run(STORE_IF_LEASED, 'k', 'lease-a', Buffer.from('v'), 1000)).toBe(1);
    expect((await c.get('k'))?.toString()).toBe('v');
    await c.set('k', 'lease-c', 1000, false);
    expect(await run(RELEASE_LEASE, 'k', 'lease-c')).toBe(1);
    expect(await c.get('k')).toBeNull();
  });

  it('takes a lease when the key is gone or holds an unexpiring marker, not an expiring one', async () => {
    expect(await run(TAKE_LEASE_OR_UNEXPIRING_MARKER, 'k', 'seen', 'mine', 1000)).toBe(1);
    expect(await run(TAKE_LEASE_OR_UNEXPIRING_MARKER, 'k', 'mine', 'next', 1000)).toBe(0);
    await c.set('k', 'planted', 0, false);
    expect(await run(TAKE_LEASE_OR_UNEXPIRING_MARKER, 'k', 'planted', 'mine', 1000)).toBe(1);
    expect((await c.get('k'))?.toString()).toBe('mine');
  });

  it('takes over and replaces only the entry it read (by bytes or by id)', async () => {
    await c.set('k', Buffer.from('..ID000001..'), 0, false);
    expect(await run(TAKE_OVER_ENTRY, 'k', Buffer.from('other'), 'm', 1000)).toBe(0);
    expect(await run(TAKE_OVER_ENTRY_BY_ID, 'k', 'ID000002', 2, 'm', 1000)).toBe(0);
    expect(await run(REPLACE_IF_UNCHANGED, 'k', 'ID000001', 2, 8, Buffer.from('new'), 1000)).toBe(
      1,
    );
    expect(await run(REPLACE_IF_UNCHANGED, 'k', 'ID000001', 2, 8, Buffer.from('x'), 0)).toBe(0);
    expect(await run(TAKE_OVER_ENTRY, 'k', Buffer.from('new'), 'm1', 1000)).toBe(1);
    await c.set('k', Buffer.from('..ID000003..'), 0, false);
    expect(await run(TAKE_OVER_ENTRY_BY_ID, 'k', 'ID000003', 2, 'm2', 1000)).toBe(1);
    expect((await c.get('k'))?.toString()).toBe('m2');
  });

  it('sets the TTL and patches the entry only while it is the entry inspected', async () => {
    await c.set('k', Buffer.from('..ID000001..........'), 0, false);
    const patch = Buffer.from('PATCHED!');
    expect(await run(SET_TTL, 'k', 1000, patch, 12, 'ID000002', 2)).toBe(0);
    expect(await c.pttl('k')).toBe(-1);
    expect(await run(SET_TTL, 'k', 1000, patch, 12, 'ID000001', 2)).toBe(1);
    expect((await c.get('k'))?.toString()).toBe('..ID000001..PATCHED!');
    expect(await c.pttl('k')).toBeGreaterThan(0);
    expect(await run(SET_TTL, 'gone', 1000, patch, 12, 'ID000001', 2)).toBe(0);
  });

  it('creates a tag token once and then keeps answering it', async () => {
    expect(await run(ENSURE_TAG_TOKEN, 't', 'first', 1000)).toBe('first');
    expect(await run(ENSURE_TAG_TOKEN, 't', 'second', 1000)).toBe('first');
  });
});
