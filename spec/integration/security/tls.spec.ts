import { inspect } from 'node:util';
import Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import type { CacheError } from '../../../lib/errors/cache-error';
import { freePort, startRedisServer, type RedisServer } from '../../support/redis-server';
import { captureErrors, FAULT_OPTIONS, pollUntil } from '../../support/fault-kit';
import {
  makeTestCertificates,
  tlsServerArgs,
  type TestCertificates,
} from '../../support/tls-certificates';
import { ready, uniquePrefix } from '../../support/test-redis';

/**
 * The manager over TLS (`--tls-port`, a CA made by the test): the smoke subset of the manager
 * suite, and the two ways a TLS setup goes wrong — a CA that did not sign the server's
 * certificate, a wrong password — each failing open with no secret in any event.
 */
const PASSWORD = 'tls-pass-4d1e';

describe('CacheAsideManager over TLS', () => {
  let certs: TestCertificates;
  let server: RedisServer;
  let tlsPort: number;

  beforeAll(async () => {
    certs = makeTestCertificates();
    tlsPort = await freePort();
    server = await startRedisServer({ args: tlsServerArgs(certs, tlsPort) });
    server.cli('config', 'set', 'requirepass', PASSWORD);
  });

  afterAll(async () => {
    await server.stop();
    certs.remove();
  });

  function tlsClient(ca: string, password: string): Redis {
    const client = new Redis({
      host: '127.0.0.1',
      port: tlsPort,
      password,
      tls: { ca: [ca] },
      maxRetriesPerRequest: 1,
      connectTimeout: 1000,
      retryStrategy: (times) => Math.min(times * 50, 200),
      disconnectTimeout: 100,
    });
    client.on('error', () => undefined);
    return client;
  }

  it('reads, writes, tags and invalidates over a verified TLS connection', async () => {
    const redis = tlsClient(certs.caPem, PASSWORD);
    await ready(redis);
    const cache = new CacheAsideManager({
      redis,
      keyPrefix: uniquePrefix('tls'),
      ...FAULT_OPTIONS,
    });
    const errors = captureErrors(cache);
    try {
      let loads = 0;
      const load = () => ({ id: 1, at: new Date(0), loads: ++loads });
      expect(await cache.get('user:1', load)).toEqual({ id: 1, at: new Date(0), loads: 1 });
      await cache.settle();
      expect(await cache.get('user:1', load)).toEqual({ id: 1, at: new Date(0), loads: 1 });

      await cache.set('user:2', 'two', { tags: ['users'] });
      expect(await cache.get('user:2', () => 'reloaded')).toBe('two');
      expect(await cache.invalidateTags(['users'])).toBe(1);
      expect(await cache.get('user:2', () => 'reloaded')).toBe('reloaded');

      expect(await cache.getMany(['a', 'b'], (keys) => keys.map((k) => k.toUpperCase()))).toEqual([
        'A',
        'B',
      ]);
      await cache.settle();
      expect(await cache.invalidatePattern('user:*')).toBeGreaterThanOrEqual(1);
      expect(await cache.invalidate('a')).toBe(1);
      expect(await cache.get('user:1', load)).toMatchObject({ loads: 2 });
      expect(errors).toEqual([]);
    } finally {
      await cache.close();
      redis.disconnect();
    }
  });

  it.each([
    ['a CA that did not sign the server certificate', () => certs.otherCaPem, PASSWORD],
    ['a wrong password', () => certs.caPem, 'wrong-tls-pass-88'],
  ])('fails open with %s, and no event carries a secret', async (_case, ca, password) => {
    const redis = tlsClient(ca(), password);
    const cache = new CacheAsideManager({
      redis,
      keyPrefix: uniquePrefix('tls-bad'),
      ...FAULT_OPTIONS,
    });
    const errors: CacheError[] = captureErrors(cache);
    try {
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        await expect(cache.get(`k${i}`, () => `loaded ${i}`)).resolves.toBe(`loaded ${i}`);
        expect(performance.now() - started).toBeLessThan(FAULT_OPTIONS.operationTimeoutMs + 1500);
        await cache.set(`s${i}`, 'v');
      }
      await pollUntil('an error event', () => errors.length > 0, { timeoutMs: 3000 });
      const printed = errors
        .map((e) => inspect(e, { depth: Infinity, showHidden: true }))
        .join('\n');
      expect(printed).not.toContain(PASSWORD);
      expect(printed).not.toContain('wrong-tls-pass-88');
    } finally {
      await cache.close();
      redis.disconnect();
    }
  });
});
