import { DeadlineExceededError } from '../../../lib/errors/deadline-exceeded.error';
import { RedisUnavailableError } from '../../../lib/errors/redis-unavailable.error';
import {
  AUTO_WINDOW,
  LEASE_TAKEN,
  LeasingReads,
  WRITE_REFUSED_PAUSE_MS,
  type LeaseOnRead,
} from '../../../lib/manager/leasing-reads';
import type { Leases } from '../../../lib/manager/leases';
import type { RedisGateway } from '../../../lib/redis/redis-gateway';

/** An error reply as ioredis raises it (by name). */
function reply(message: string): Error {
  const error = new Error(message);
  error.name = 'ReplyError';
  return error;
}

/**
 * The read that takes the lease (issue #13): when it is used ('auto' decides per window of
 * reads), what a refusal by Redis does to this read and the next ones, and that a read whose
 * answer never came gives its lease back through the view that does not count failures.
 */
describe('LeasingReads', () => {
  let now = 0;
  let leaseReply: () => Promise<Buffer | null>;
  const sent: string[] = [];
  const released: Array<[string, string, unknown]> = [];
  let writable = true;
  const gateway = {
    get writable() {
      return writable;
    },
    getOrLease: (key: string, marker: string, px: number) => {
      sent.push(`set-nx-get ${key} ${marker} ${px}`);
      return leaseReply();
    },
    get: async (key: string) => {
      sent.push(`get ${key}`);
      return Buffer.from('bytes');
    },
  } as unknown as RedisGateway;
  const quiet = { name: 'uncounted view' } as unknown as RedisGateway;
  const leases = {
    ttlMs: 5000,
    release: (key: string, marker: string, via: unknown) => released.push([key, marker, via]),
  } as unknown as Leases;
  const reads = (mode: LeaseOnRead) => new LeasingReads(mode, gateway, leases, quiet, () => now);

  beforeEach(() => {
    writable = true;
    now = 1_000_000;
    sent.length = 0;
    released.length = 0;
    leaseReply = async () => null;
  });

  it("'always' and 'never' are what they say", () => {
    expect(reads('always').wanted).toBe(true);
    expect(reads('never').wanted).toBe(false);
    const never = reads('never');
    for (let i = 0; i < AUTO_WINDOW * 3; i++) never.noteRead(true);
    expect(never.wanted).toBe(false);
  });

  it('reads with GET while the client is not ready (a write would wait for its first connection)', () => {
    const always = reads('always');
    writable = false;
    expect(always.wanted).toBe(false);
    writable = true;
    expect(always.wanted).toBe(true);
  });

  it("'auto' starts with GET and takes the lease in the window after one where a quarter missed", () => {
    const auto = reads('auto');
    expect(auto.wanted).toBe(false);
    const window = (misses: number): void => {
      for (let i = 0; i < AUTO_WINDOW; i++) auto.noteRead(i < misses);
    };
    window(AUTO_WINDOW / 4 - 1);
    expect(auto.wanted).toBe(false);
    window(AUTO_WINDOW / 4);
    expect(auto.wanted).toBe(true);
    // The decision holds for a whole window, whatever its reads find.
    for (let i = 0; i < AUTO_WINDOW - 1; i++) auto.noteRead(false);
    expect(auto.wanted).toBe(true);
    auto.noteRead(false);
    expect(auto.wanted).toBe(false);
  });

  it('answers the bytes of a present key, LEASE_TAKEN where the key was absent', async () => {
    const always = reads('always');
    leaseReply = async () => Buffer.from('entry');
    expect(await always.read('p:k', 'CA~lease~m')).toEqual(Buffer.from('entry'));
    leaseReply = async () => null;
    expect(await always.read('p:k', 'CA~lease~m')).toBe(LEASE_TAKEN);
    expect(sent).toEqual(['set-nx-get p:k CA~lease~m 5000', 'set-nx-get p:k CA~lease~m 5000']);
  });

  it.each([
    ['a Redis before 7.0', 'ERR syntax error'],
    ['an ACL without SET', "NOPERM User app has no permissions to run the 'set' command"],
  ])('falls back to GET for good on %s', async (_what, message) => {
    const always = reads('always');
    leaseReply = () => Promise.reject(reply(message));
    expect(await always.read('p:k', 'CA~lease~m')).toEqual(Buffer.from('bytes'));
    expect(sent).toEqual(['set-nx-get p:k CA~lease~m 5000', 'get p:k']);
    now += 3_600_000;
    expect(always.wanted).toBe(false);
    expect(released).toEqual([]);
  });

  it.each([
    ['OOM', 'OOM command not allowed when used memory > maxmemory.'],
    ['a replica', "READONLY You can't write against a read only replica."],
    ['a transient ERR (a proxy)', 'ERR backend connection lost'],
  ])(
    'reads with GET for a pause when writes are refused (%s), then leases again',
    async (_what, message) => {
      const always = reads('always');
      leaseReply = () => Promise.reject(reply(message));
      expect(await always.read('p:k', 'CA~lease~m')).toEqual(Buffer.from('bytes'));
      expect(always.wanted).toBe(false);
      now += WRITE_REFUSED_PAUSE_MS - 1;
      expect(always.wanted).toBe(false);
      now += 1;
      expect(always.wanted).toBe(true);
      expect(released).toEqual([]);
    },
  );

  it('passes WRONGTYPE on as GET would answer it, giving nothing back (nothing was written)', async () => {
    const always = reads('always');
    leaseReply = () =>
      Promise.reject(reply('WRONGTYPE Operation against a key holding the wrong kind of value'));
    await expect(always.read('p:k', 'CA~lease~m')).rejects.toThrow(/^WRONGTYPE/);
    expect(sent).toEqual(['set-nx-get p:k CA~lease~m 5000']);
    expect(always.wanted).toBe(true);
    expect(released).toEqual([]);
  });

  it('gives nothing back for a read that was never sent (circuit open, client not ready)', async () => {
    const always = reads('always');
    leaseReply = () =>
      Promise.reject(new RedisUnavailableError('Redis is skipped for a cool-down (circuit open)'));
    await expect(always.read('p:k', 'CA~lease~m')).rejects.toBeInstanceOf(RedisUnavailableError);
    expect(released).toEqual([]);
  });

  it('gives the lease back, through the uncounted view, when the answer never came', async () => {
    const always = reads('always');
    leaseReply = () => Promise.reject(new DeadlineExceededError(100));
    await expect(always.read('p:k', 'CA~lease~m')).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(released).toEqual([['p:k', 'CA~lease~m', quiet]]);
    expect(always.wanted).toBe(true);
  });
});
