import Redis from 'ioredis';
import RedisMock from 'ioredis-mock';
import Redis6 from 'ioredis6';
import Valkey from 'iovalkey';
import { CircuitBreaker } from '../../../lib/redis/circuit-breaker';
import { CommandRunner } from '../../../lib/redis/command-runner';
import { DeadlineExceededError } from '../../../lib/errors/deadline-exceeded.error';
import { IoRedisConnection } from '../../../lib/redis/clients/ioredis';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import { newClusterClient, ready, uniquePrefix } from '../../support/test-redis';

/**
 * The hit's GET, sent as ioredis's own command with the command as its deadline waiter
 * (lib/redis/clients/ioredis-direct-get.ts), against a server of this file's own that it may pause.
 */
describe('CommandRunner.getBuffer on a real client (direct path)', () => {
  const DEADLINE_MS = 100;
  let server: RedisServer;
  let redis: Redis;
  let admin: Redis;
  let breaker: CircuitBreaker;
  let runner: CommandRunner;
  let prefix: string;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
    // Plants bytes and pauses the server (CLIENT PAUSE): as the default user.
    admin = new Redis(server.adminUrl);
    await Promise.all([ready(redis), ready(admin)]);
  });

  beforeEach(() => {
    prefix = uniquePrefix('direct-get');
    breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 60_000 });
    runner = new CommandRunner(new IoRedisConnection(redis), breaker, DEADLINE_MS, true);
  });

  afterEach(() => runner.detach());

  afterAll(async () => {
    redis.disconnect();
    admin.disconnect();
    await server.stop();
  });

  it('is taken by every ioredis-family client with its own Command class (5, 6, iovalkey), not by a mock or a client that wants friendly stacks', () => {
    const cluster = newClusterClient();
    const friendly = new Redis(server.url, { lazyConnect: true, showFriendlyErrorStack: true });
    const autoPipelined = new Redis(server.url, { lazyConnect: true, enableAutoPipelining: true });
    const mock = new RedisMock();
    const otherMajor = new Redis6(server.url, { lazyConnect: true });
    const valkey = new Valkey(server.url, { lazyConnect: true });
    const canSendDirect = (client: object): boolean =>
      new IoRedisConnection(client as Redis).directGet !== undefined;
    try {
      expect(canSendDirect(redis)).toBe(true);
      expect(canSendDirect(cluster)).toBe(true);
      expect(canSendDirect(friendly)).toBe(false);
      // Auto-pipelining holds other commands to the next turn: a direct GET would overtake them.
      expect(canSendDirect(autoPipelined)).toBe(false);
      expect(canSendDirect(mock)).toBe(false);
      // A copy the package does not resolve (the ioredis6 alias) would get foreign commands.
      expect(canSendDirect(otherMajor)).toBe(false);
      expect(canSendDirect(valkey)).toBe(true);
    } finally {
      valkey.disconnect();
      otherMajor.disconnect();
      cluster.disconnect();
      friendly.disconnect();
      autoPipelined.disconnect();
      mock.disconnect();
    }
  });

  it('answers with the stored bytes, unchanged, and null for a missing key, without going through getBuffer', async () => {
    const bytes = Buffer.from([0xca, 0x01, 0x00, 0xff, 0xfe, 0x80, 0x00, 0x7f]);
    await admin.set(`${prefix}bytes`, bytes);
    const wrapped = jest.spyOn(redis, 'getBuffer');
    try {
      const [found, missing] = await Promise.all([
        runner.getBuffer(`${prefix}bytes`),
        runner.getBuffer(`${prefix}none`),
      ]);
      expect(Buffer.isBuffer(found)).toBe(true);
      expect(found).toEqual(bytes);
      expect(missing).toBeNull();
      expect(wrapped).not.toHaveBeenCalled();
      expect(breaker.clean).toBe(true);
    } finally {
      wrapped.mockRestore();
    }
  });

  it('rejects at the deadline when the server does not answer, counts the timeouts of each sweep once, then refuses', async () => {
    await admin.client('PAUSE', 700, 'ALL');
    const started = Date.now();
    const outcomes = await Promise.allSettled(
      [1, 2, 3].map((i) => runner.getBuffer(`${prefix}paused:${i}`)),
    );
    const waited = Date.now() - started;
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(DeadlineExceededError);
    }
    expect(waited).toBeGreaterThanOrEqual(DEADLINE_MS - 5);
    expect(waited).toBeLessThan(DEADLINE_MS + 150);
    // Three commands that expired together are one failure (a burst alone opens nothing)…
    expect(breaker.clean).toBe(false);
    expect(breaker.state).toBe('closed');
    // …and two more deadlines, one after the other, with no answer meanwhile, open the circuit.
    // (On a loaded machine the three may expire in two sweeps: then one more opens it.)
    for (const i of [5, 6]) {
      if (breaker.state === 'open') break;
      await expect(runner.getBuffer(`${prefix}paused:${i}`)).rejects.toBeInstanceOf(
        DeadlineExceededError,
      );
    }
    expect(breaker.state).toBe('open');
    // Open: refused at once, without sending.
    await expect(runner.getBuffer(`${prefix}paused:4`)).rejects.toThrow(/circuit open/);
  });

  it("counts ioredis's own failure (its commandTimeout, below the deadline) once toward opening the circuit", async () => {
    const impatient = new Redis(server.url, { maxRetriesPerRequest: 1, commandTimeout: 30 });
    await ready(impatient);
    const twoStrikes = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 60_000 });
    const impatientRunner = new CommandRunner(
      new IoRedisConnection(impatient),
      twoStrikes,
      DEADLINE_MS,
      true,
    );
    try {
      await admin.client('PAUSE', 300, 'ALL');
      await expect(impatientRunner.getBuffer(`${prefix}slow:1`)).rejects.toThrow(
        /Command timed out/,
      );
      expect(twoStrikes.clean).toBe(false);
      // Its deadline passes later without counting it a second time.
      await new Promise((resolve) => setTimeout(resolve, DEADLINE_MS + 30));
      expect(twoStrikes.state).toBe('closed');
      await expect(impatientRunner.getBuffer(`${prefix}slow:2`)).rejects.toThrow(
        /Command timed out/,
      );
      expect(twoStrikes.state).toBe('open');
    } finally {
      impatientRunner.detach();
      impatient.disconnect();
    }
  });

  it('does not count an error reply as a failure, even after its deadline has passed', async () => {
    await admin.hset(`${prefix}hash`, 'field', 'value');
    await expect(runner.getBuffer(`${prefix}hash`)).rejects.toThrow(/WRONGTYPE/);
    await new Promise((resolve) => setTimeout(resolve, DEADLINE_MS + 30));
    expect(breaker.clean).toBe(true);
    await admin.set(`${prefix}after`, 'ok');
    await expect(runner.getBuffer(`${prefix}after`)).resolves.toEqual(Buffer.from('ok'));
  });

  it('takes the wrapped path once failures are on record, whose success closes the breaker again', async () => {
    breaker.recordFailure();
    expect(breaker.clean).toBe(false);
    await admin.set(`${prefix}back`, 'v');
    const wrapped = jest.spyOn(redis, 'getBuffer');
    try {
      await expect(runner.getBuffer(`${prefix}back`)).resolves.toEqual(Buffer.from('v'));
      expect(wrapped).toHaveBeenCalledTimes(1);
      expect(breaker.clean).toBe(true);
    } finally {
      wrapped.mockRestore();
    }
  });
});
