import { inspect } from 'node:util';
import Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import type { CacheError } from '../../../lib/errors/cache-error';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import { captureErrors, FAULT_OPTIONS, newFaultClient, pollUntil } from '../../support/fault-kit';
import { ready, uniquePrefix } from '../../support/test-redis';

/**
 * Errors are safe to log (issue #11, findings 11–13): whatever Redis or a planted entry does,
 * no event carries a password, a command's arguments, a cached value or raw bytes from Redis.
 * Each case prints every emitted error the way a logger would and searches the text.
 */
function printed(errors: readonly CacheError[]): string {
  return errors.map((e) => inspect(e, { depth: Infinity, showHidden: true })).join('\n');
}

/**
 * Every string and byte buffer reachable from the errors (own properties, enumerable or not,
 * causes included): a logger may print any of them, and inspect shortens long buffers.
 */
function reachable(errors: readonly CacheError[]): string {
  const seen = new Set<unknown>();
  const parts: string[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 12 || value === null || seen.has(value)) return;
    if (typeof value === 'string') parts.push(value);
    else if (Buffer.isBuffer(value) || value instanceof Uint8Array)
      parts.push(Buffer.from(value).toString('latin1'));
    else if (typeof value === 'object') {
      seen.add(value);
      for (const key of Reflect.ownKeys(value)) {
        const descriptor = Object.getOwnPropertyDescriptor(value, key);
        if (descriptor && 'value' in descriptor) visit(descriptor.value, depth + 1);
      }
    }
  };
  for (const error of errors) visit(error, 0);
  return parts.join('\n');
}

/** Neither the printed errors nor anything reachable from them holds the secret. */
function expectAbsent(errors: readonly CacheError[], secret: string): void {
  expect(printed(errors)).not.toContain(secret);
  expect(reachable(errors)).not.toContain(secret);
}

describe('errors are safe to log', () => {
  describe('with a wrong password', () => {
    const PASSWORD = 'right-pass-7f3a';
    const WRONG = 'wrong-pass-91c2';
    let server: RedisServer;

    beforeAll(async () => {
      server = await startRedisServer();
      // Set after start: the launcher checks readiness with an unauthenticated PING.
      server.cli('config', 'set', 'requirepass', PASSWORD);
    });
    afterAll(() => server.stop());

    it('reports the failure without the password, in any event', async () => {
      const redis = new Redis(server.port, '127.0.0.1', {
        password: WRONG,
        maxRetriesPerRequest: 1,
        retryStrategy: () => null,
        lazyConnect: false,
      });
      redis.on('error', () => undefined);
      const cache = new CacheAsideManager({
        redis,
        keyPrefix: uniquePrefix('safe-auth'),
        ...FAULT_OPTIONS,
      });
      const errors = captureErrors(cache);
      try {
        for (let i = 0; i < 3; i++) {
          await expect(cache.get(`k${i}`, () => 'loaded')).resolves.toBe('loaded');
          await cache.set(`s${i}`, 'v');
          await cache.invalidate(`k${i}`);
        }
        await pollUntil('an error event', () => errors.length > 0, { timeoutMs: 2000 });
        expectAbsent(errors, WRONG);
        expectAbsent(errors, PASSWORD);
      } finally {
        await cache.close();
        redis.disconnect();
      }
    });
  });

  describe('with a Redis that refuses writes and a planted entry', () => {
    let server: RedisServer;
    let redis: Redis;
    let cache: CacheAsideManager;
    let errors: CacheError[];
    let prefix: string;

    beforeAll(async () => {
      server = await startRedisServer({ args: ['--maxmemory-policy', 'noeviction'] });
      redis = newFaultClient(server.url);
      await ready(redis);
    });
    beforeEach(() => {
      prefix = uniquePrefix('safe-errors');
      cache = new CacheAsideManager({ redis, keyPrefix: prefix, ...FAULT_OPTIONS });
      errors = captureErrors(cache);
    });
    afterEach(async () => {
      server.cli('config', 'set', 'maxmemory', '0');
      await cache.close();
    });
    afterAll(async () => {
      redis.disconnect();
      await server.stop();
    });

    it('does not carry the stored entry of a refused write', async () => {
      server.cli('config', 'set', 'maxmemory', '1');
      const SECRET = 'cached-value-SECRET-5521';
      await cache.set('refused', { secret: SECRET });
      await expect(cache.get('refused-load', () => ({ secret: SECRET }))).resolves.toEqual({
        secret: SECRET,
      });
      await cache.settle();
      expect(errors.map((e) => e.code)).toContain('REDIS_ERROR');
      expectAbsent(errors, SECRET);
      expect(printed(errors)).toContain('OOM');
    });

    it('does not quote the payload of an entry it cannot decode', async () => {
      const value = { text: 'x'.repeat(40) };
      await cache.set('planted', value);
      const key = `${prefix}planted`;
      const length = await redis.strlen(key);
      // The JSON payload is the entry's last bytes: make it start with text JSON.parse quotes.
      const payloadStart = length - JSON.stringify(value).length;
      await redis.setrange(key, payloadStart, 'PLANTED-PAYLOAD-abcdefgh');
      await expect(cache.get('planted', () => 'fresh')).resolves.toBe('fresh');
      expect(errors.map((e) => e.code)).toContain('DECODE_FAILED');
      expectAbsent(errors, 'PLANTED');
    });

    it('does not let a planted codec id forge log lines', async () => {
      await cache.set('forged', 'value');
      const key = `${prefix}forged`;
      const entry = (await redis.getBuffer(key))!;
      const CODEC_LENGTH_OFFSET = 28; // entry-format.ts: codec id length, then the id
      const idLength = entry[CODEC_LENGTH_OFFSET];
      const forged = Buffer.from('\r\nFORGED'.padEnd(idLength, '!').slice(0, idLength), 'latin1');
      forged.copy(entry, CODEC_LENGTH_OFFSET + 1);
      await redis.set(key, entry);
      await expect(cache.get('forged', () => 'fresh')).resolves.toBe('fresh');
      const decode = errors.find((e) => e.code === 'DECODE_FAILED');
      expect(decode).toBeDefined();
      expect(decode!.message).not.toMatch(/[\r\n]/);
      expectAbsent(errors, 'FORGED');
    });
  });
});
