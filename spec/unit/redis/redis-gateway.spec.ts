import { EventEmitter } from 'node:events';
import { LateWriteRefusedError } from '../../../lib/errors/deadline-exceeded.error';
import { CircuitBreaker } from '../../../lib/redis/circuit-breaker';
import type { RedisClient } from '../../../lib/redis/redis-client';
import { LATE_WRITE_RETRIES, RedisGateway } from '../../../lib/redis/redis-gateway';
import { FENCED_SET, REDIS_TIME } from '../../../lib/redis/scripts';

/** The few commands the gateway sends, answered by hand, with a settable connection status. */
class FakeClient extends EventEmitter {
  status = 'ready';
  isCluster = false;
  answer: () => Promise<unknown> = async () => null;
  calls: string[] = [];
  getBuffer = (key: string) => this.call(`get ${key}`);
  set = (...args: unknown[]) => this.call(`set ${args.join(' ')}`);
  evalsha = (sha: string) => this.call(`evalsha ${sha.slice(0, 6)}`);
  eval = () => this.call('eval');
  mgetBuffer = (...keys: string[]) => this.call(`mget ${keys.join(' ')}`);
  unlink = (...keys: string[]) => this.call(`unlink ${keys.join(' ')}`);
  pexpire = (key: string) => this.call(`pexpire ${key}`);
  persist = (key: string) => this.call(`persist ${key}`);
  exists = (key: string) => this.call(`exists ${key}`);
  connect = jest.fn(async () => undefined);
  private call(name: string): Promise<unknown> {
    this.calls.push(name);
    return this.answer();
  }
}

const replyError = (message: string): Error =>
  Object.assign(new Error(message), { name: 'ReplyError' });

describe('RedisGateway', () => {
  let client: FakeClient;
  let breaker: CircuitBreaker;
  let gateway: RedisGateway;

  beforeEach(() => {
    client = new FakeClient();
    breaker = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 60_000 });
    gateway = new RedisGateway(client as unknown as RedisClient, {
      operationTimeout: 50,
      breaker,
      scanCount: 10,
      coalesceWrites: true,
    });
  });

  it('lets reads wait for the very first connection, bounded by the deadline', async () => {
    client.status = 'connecting';
    const fresh = new RedisGateway(client as unknown as RedisClient, {
      operationTimeout: 50,
      breaker,
      scanCount: 10,
      coalesceWrites: true,
    });
    client.answer = async () => Buffer.from('v');
    await expect(fresh.get('k')).resolves.toEqual(Buffer.from('v'));
    expect(client.calls).toEqual(['get k']);
  });

  it('holds a write issued during the first connection until the client is ready, then sends it', async () => {
    client.status = 'connecting';
    const fresh = new RedisGateway(client as unknown as RedisClient, {
      operationTimeout: 200,
      breaker,
      scanCount: 10,
      coalesceWrites: true,
    });
    // Redis's TIME (the clock's first sample), then the fenced SET's [code, seconds, micros].
    client.answer = async () => [1, '1', '0'];
    const write = fresh.set('k', Buffer.from('v'), 100);
    await new Promise((resolve) => setImmediate(resolve));
    expect(client.calls).toEqual([]); // nothing sits in the offline queue meanwhile
    client.status = 'ready';
    client.emit('ready');
    await expect(write).resolves.toBeUndefined();
    expect(client.calls).toEqual([
      `evalsha ${REDIS_TIME.sha1.slice(0, 6)}`,
      `evalsha ${FENCED_SET.sha1.slice(0, 6)}`,
    ]);
  });

  it('asks a node for its clock once for all the first writes waiting on it', async () => {
    client.answer = async () => [1, '1', '0'];
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => gateway.set(`k${i}`, Buffer.from('v'), 100)),
    );
    const time = `evalsha ${REDIS_TIME.sha1.slice(0, 6)}`;
    expect(client.calls.filter((call) => call === time)).toHaveLength(1);
    expect(client.calls).toHaveLength(51);
  });

  it('rejects a write that Redis refused for arriving past its fence every time, and keeps the circuit closed', async () => {
    client.answer = async () => [-1, '1', '0'];
    await expect(gateway.set('k', Buffer.from('v'), 100)).rejects.toBeInstanceOf(
      LateWriteRefusedError,
    );
    const sets = client.calls.filter((call) => call === `evalsha ${FENCED_SET.sha1.slice(0, 6)}`);
    expect(sets).toHaveLength(1 + LATE_WRITE_RETRIES);
    expect(gateway.circuit).toBe('closed');
  });

  it('sends a write refused as late again while its caller still waits (a backlog of our own)', async () => {
    let refusals = LATE_WRITE_RETRIES;
    client.answer = async () => [refusals-- > 0 ? -1 : 1, '1', '0'];
    await expect(gateway.set('k', Buffer.from('v'), 100)).resolves.toBeUndefined();
    expect(refusals).toBe(-1);
  });

  it('gives up on a write without sending it when the first connection takes longer than the deadline', async () => {
    client.status = 'wait'; // lazyConnect: the write itself has to start the connection
    const fresh = new RedisGateway(client as unknown as RedisClient, {
      operationTimeout: 30,
      breaker,
      scanCount: 10,
      coalesceWrites: true,
    });
    const writes = Array.from({ length: 12 }, (_, i) => fresh.set(`k${i}`, Buffer.from('v'), 100));
    for (const write of writes)
      await expect(write).rejects.toThrow(/did not become ready within 30 ms/);
    expect(client.connect).toHaveBeenCalledTimes(1);
    expect(client.calls).toEqual([]);
    // The two gateways' own listeners plus one shared wait for the first 'ready', however many writes.
    expect(client.listenerCount('ready')).toBe(3);
    // Detached (its manager closed) before the client was ever ready: nothing of it stays on
    // the user's client, the shared wait included.
    fresh.detach();
    expect(client.listenerCount('ready')).toBe(1);
  });

  it('refuses reads and writes at once while reconnecting after having been ready', async () => {
    client.status = 'reconnecting';
    await expect(gateway.get('k')).rejects.toThrow(/status "reconnecting"/);
    await expect(gateway.unlinkMatching('x*')).rejects.toThrow(/status "reconnecting"/);
    expect(client.calls).toEqual([]);
  });

  it('opens the circuit after connection failures, not after error replies', async () => {
    client.answer = async () => Promise.reject(replyError('WRONGTYPE'));
    for (let i = 0; i < 3; i++) await expect(gateway.get('k')).rejects.toThrow('WRONGTYPE');
    expect(breaker.state).toBe('closed');
    client.answer = () => new Promise(() => undefined);
    await expect(gateway.get('k')).rejects.toThrow(/within 50 ms/);
    await expect(gateway.get('k')).rejects.toThrow(/within 50 ms/);
    expect(breaker.state).toBe('open');
    const calls = client.calls.length;
    await expect(gateway.get('k')).rejects.toThrow(/circuit open/);
    expect(client.calls.length).toBe(calls);
  });

  it('closes the circuit when the client reports ready again', async () => {
    client.answer = () => Promise.reject(new Error('Connection is closed.'));
    await expect(gateway.get('k')).rejects.toThrow();
    await expect(gateway.get('k')).rejects.toThrow();
    expect(breaker.state).toBe('open');
    const onReady = jest.fn();
    gateway.onRecovered(onReady);
    client.emit('ready');
    expect(breaker.state).toBe('closed');
    expect(onReady).toHaveBeenCalledTimes(1);
    gateway.detach();
    client.emit('ready');
    expect(onReady).toHaveBeenCalledTimes(1);
  });

  it('falls back from EVALSHA to EVAL once when the script is unknown', async () => {
    let first = true;
    client.answer = async () => {
      if (first) {
        first = false;
        throw replyError('NOSCRIPT No matching script');
      }
      return 1;
    };
    await expect(gateway.releaseLease('k', 'marker')).resolves.toBe(true);
    expect(client.calls).toEqual([expect.stringMatching(/^evalsha/), 'eval']);
    client.answer = async () => Promise.reject(replyError('ERR script failed'));
    await expect(gateway.releaseLease('k', 'marker')).rejects.toThrow('ERR script failed');
  });

  it('answers empty batches without a round trip', async () => {
    await expect(gateway.mget([])).resolves.toEqual([]);
    await expect(gateway.unlink([])).resolves.toBe(0);
    expect(client.calls).toEqual([]);
  });

  it('uses PERSIST for "no expiry" and reports whether the key exists', async () => {
    client.answer = async () => 0;
    await expect(gateway.expire('k', 0)).resolves.toBe(false);
    expect(client.calls).toEqual(['persist k', 'exists k']);
    client.answer = async () => 1;
    await expect(gateway.expire('k', 10)).resolves.toBe(true);
  });

  describe('forBatches()', () => {
    it('never counts its failures toward opening the circuit, and still counts a success', async () => {
      const batches = gateway.forBatches(1000);
      expect(gateway.forBatches(1000)).toBe(batches); // one view per gateway
      client.answer = () => Promise.reject(new Error('Connection is closed.'));
      for (let i = 0; i < 5; i++) await expect(batches.mget(['a', 'b'])).rejects.toThrow();
      expect(gateway.circuit).toBe('closed');
      await expect(gateway.mget(['a'])).rejects.toThrow();
      client.answer = async () => [null];
      await batches.mget(['a']); // a success of the view ends the failures on record
      client.answer = () => Promise.reject(new Error('Connection is closed.'));
      await expect(gateway.mget(['a'])).rejects.toThrow();
      expect(gateway.circuit).toBe('closed');
      gateway.detach();
    });

    it('gives a chunk a deadline that fits it: operationTimeout plus 0.1 ms per key', async () => {
      jest.useFakeTimers();
      try {
        const batches = gateway.forBatches(1000); // 50 + 100 ms
        client.answer = () => new Promise((resolve) => setTimeout(() => resolve([null]), 90));
        const chunk = batches.mget(['a']);
        const single = gateway.mget(['a']);
        const settled = Promise.allSettled([chunk, single]);
        await jest.advanceTimersByTimeAsync(200);
        const [ofChunk, ofSingle] = await settled;
        expect(ofChunk).toEqual({ status: 'fulfilled', value: [null] });
        expect(ofSingle.status).toBe('rejected');
        expect(String((ofSingle as PromiseRejectedResult).reason)).toContain('within 50 ms');
      } finally {
        jest.useRealTimers();
      }
    });
  });
});
