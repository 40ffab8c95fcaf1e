import RedisMock from 'ioredis-mock';
import {
  CacheAsideManager,
  DEFAULT_KEY_PREFIX,
  DEFAULT_OPERATION_TIMEOUT_MS,
  DEFAULT_TTL,
  type RedisClient,
} from '../../../lib';
import { CACHE_ASIDE_DEFAULTS } from '../../../lib/manager/cache-aside.defaults';
import { closestName } from '../../../lib/errors/unknown-option';

let port = 21_000;
function redis(): RedisClient {
  const client = new RedisMock({ port: ++port }) as unknown as RedisClient;
  Object.defineProperty(client, 'status', { value: 'ready', writable: true });
  return client;
}

/** Builds a manager from options the types would refuse (what a JavaScript caller can pass). */
function build(options: Record<string, unknown>): CacheAsideManager {
  return new CacheAsideManager({ redis: redis(), ...options });
}

function errorOf(run: () => unknown): { code?: string; message: string } {
  try {
    run();
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected a throw');
}

async function rejectionOf(
  run: () => Promise<unknown>,
): Promise<{ code?: string; message: string }> {
  try {
    await run();
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected a rejection');
}

describe('manager options', () => {
  describe('defaults', () => {
    it('live in one frozen object, and the public constants are read from it', () => {
      expect(Object.isFrozen(CACHE_ASIDE_DEFAULTS)).toBe(true);
      expect(Object.isFrozen(CACHE_ASIDE_DEFAULTS.circuitBreaker)).toBe(true);
      expect(DEFAULT_KEY_PREFIX).toBe(CACHE_ASIDE_DEFAULTS.keyPrefix);
      expect(DEFAULT_TTL).toBe(60);
      expect(DEFAULT_OPERATION_TIMEOUT_MS).toBe(200);
      expect(() => {
        (CACHE_ASIDE_DEFAULTS as { defaultTtl: number }).defaultTtl = 1;
      }).toThrow(TypeError);
    });
  });

  describe('unknown constructor options are refused, naming the valid ones', () => {
    it.each([
      ['ttlSeconds', 'defaultTtl'],
      ['keyprefix', 'keyPrefix'],
      ['defaultTTL', 'defaultTtl'],
      ['operationTimeoutMS', 'operationTimeoutMs'],
    ])('%s (did you mean %s?)', (name, suggestion) => {
      const error = errorOf(() => build({ [name]: 1 }));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.code).toBe('ERR_CACHE_ASIDE_UNKNOWN_OPTION');
      expect(error.message).toMatch(/^\[cache-aside\] unknown option/);
      expect(error.message).toContain(`"${name}"`);
      expect(error.message).toContain(`Did you mean "${suggestion}"?`);
      expect(error.message).toContain('Valid options: redis, keyPrefix, defaultTtl');
    });

    it('in nested objects too: l1.maxbytes, circuitBreaker.threshold', () => {
      const l1 = errorOf(() => build({ l1: { maxEntries: 10, maxbytes: 100 } }));
      expect(l1.code).toBe('ERR_CACHE_ASIDE_UNKNOWN_OPTION');
      expect(l1.message).toContain('"maxbytes" in the l1 options. Did you mean "maxBytes"?');
      const breaker = errorOf(() => build({ circuitBreaker: { threshold: 3 } }));
      expect(breaker.code).toBe('ERR_CACHE_ASIDE_UNKNOWN_OPTION');
      expect(breaker.message).toContain('Did you mean "failureThreshold"?');
    });

    it('lists the valid names without a guess when nothing is close', () => {
      const error = errorOf(() => build({ zzzzzz: true }));
      expect(error.message).not.toContain('Did you mean');
      expect(error.message).toContain('Valid options:');
    });

    it('accepts every documented option', async () => {
      const manager = build({
        keyPrefix: 'p:',
        defaultTtl: 10,
        nullTtl: 5,
        operationTimeoutMs: 100,
        circuitBreaker: { failureThreshold: 2, cooldownMs: 10 },
        coalesceWrites: false,
        ttlJitter: 0,
        maxValueBytes: 1000,
        leaseTtlMs: 1000,
        invalidationQueueSize: 10,
        invalidationRetryMs: 100,
        scanCount: 10,
        getManyChunkSize: 100,
        random: () => 0.5,
        leaseOnRead: 'always',
      });
      await manager.close();
    });
  });

  describe('leaseOnRead', () => {
    it.each(['sometimes', true, 1])('refuses %j, naming the three values', (leaseOnRead) => {
      const error = errorOf(() => build({ leaseOnRead: leaseOnRead }));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.code).toBe('ERR_CACHE_ASIDE_INVALID_ARGUMENT');
      expect(error.message).toMatch(/leaseOnRead must be 'auto', 'always' or 'never'/);
    });

    it.each(['auto', 'always', 'never'] as const)('accepts %j', async (leaseOnRead) => {
      await build({ leaseOnRead }).close();
    });
  });

  describe('keyPrefix', () => {
    it.each(['app~:', '~', 'app:~t:', 'a~b'])(
      'refuses %j: a "~" could reach into the library\'s own names under another prefix',
      (keyPrefix) => {
        const error = errorOf(() => build({ keyPrefix }));
        expect(error).toBeInstanceOf(TypeError);
        expect(error.code).toBe('ERR_CACHE_ASIDE_INVALID_ARGUMENT');
        expect(error.message).toMatch(/^\[cache-aside\] keyPrefix must not contain "~"/);
        expect(error.message).toContain(JSON.stringify(keyPrefix));
      },
    );

    it.each(['', 'app:', 'tenant-1:users.v2|'])('accepts %j', async (keyPrefix) => {
      await build({ keyPrefix }).close();
    });
  });

  describe('unknown call options are refused', () => {
    let manager: CacheAsideManager;
    beforeEach(() => {
      manager = build({});
    });
    afterEach(async () => {
      await manager.close();
    });

    it('get({ ttlSeconds }) suggests ttl', async () => {
      const error = await rejectionOf(() =>
        manager.get('k', () => 1, { ttlSeconds: 5 } as unknown as object),
      );
      expect(error.code).toBe('ERR_CACHE_ASIDE_UNKNOWN_OPTION');
      expect(error.message).toContain('"ttlSeconds" in the options of get(). Did you mean "ttl"?');
    });

    it('set({ tag: [...] }) suggests tags', async () => {
      const error = await rejectionOf(() =>
        manager.set('k', 1, { tag: ['a'] } as unknown as object),
      );
      expect(error.code).toBe('ERR_CACHE_ASIDE_UNKNOWN_OPTION');
      expect(error.message).toContain('"tag" in the options of set(). Did you mean "tags"?');
    });

    it('getMany({ tag }) names getMany', async () => {
      const error = await rejectionOf(() =>
        manager.getMany(['a'], () => [1], { tag: ['x'] } as unknown as object),
      );
      expect(error.code).toBe('ERR_CACHE_ASIDE_UNKNOWN_OPTION');
      expect(error.message).toContain('in the options of getMany()');
    });

    it('invalidate, invalidatePattern and invalidateTags take only a string label', async () => {
      const unknown = await rejectionOf(() =>
        manager.invalidate('k', { method: 'A.b' } as unknown as object),
      );
      expect(unknown.code).toBe('ERR_CACHE_ASIDE_UNKNOWN_OPTION');
      expect(unknown.message).toContain('"method" in the options of invalidate()');
      expect(unknown.message).toContain('label');
      const notString = await rejectionOf(() =>
        manager.invalidatePattern('k*', { label: 7 } as unknown as object),
      );
      expect(notString.code).toBe('ERR_CACHE_ASIDE_INVALID_ARGUMENT');
      expect(notString.message).toContain('label must be a string, got number 7');
      const notObject = await rejectionOf(() =>
        manager.invalidateTags(['t'], 'A.b' as unknown as object),
      );
      expect(notObject.code).toBe('ERR_CACHE_ASIDE_INVALID_ARGUMENT');
      expect(notObject.message).toContain('the options of invalidateTags() must be an object');
      await expect(manager.invalidate('k', { label: 'A.b' })).resolves.toBe(0);
    });

    it('set takes only a string label', async () => {
      const error = await rejectionOf(() =>
        manager.set('k', 1, { label: ['A.b'] } as unknown as object),
      );
      expect(error.code).toBe('ERR_CACHE_ASIDE_INVALID_ARGUMENT');
      expect(error.message).toContain('label must be a string');
    });

    it('checks a frozen options object once, not on every call', async () => {
      const options = Object.freeze({ ttl: 5 });
      let loads = 0;
      await manager.get('frozen', () => ++loads, options);
      // The check is remembered per frozen object (a decorated hit pays nothing per call).
      const has = jest.spyOn(Set.prototype, 'has');
      await manager.get('frozen', () => ++loads, options);
      const optionChecks = has.mock.calls.filter(([name]) => name === 'ttl').length;
      has.mockRestore();
      expect(optionChecks).toBe(0);
      expect(loads).toBe(1);
    });
  });

  describe('operationTimeout, renamed operationTimeoutMs', () => {
    it('still works, and warns once per process with a DeprecationWarning code', async () => {
      const emit = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      try {
        const a = build({ operationTimeout: 50 });
        const b = build({ operationTimeout: 60 });
        expect(emit).toHaveBeenCalledTimes(1);
        expect(emit.mock.calls[0][0]).toContain('operationTimeoutMs');
        expect(emit.mock.calls[0][1]).toEqual({
          type: 'DeprecationWarning',
          code: 'CACHE_ASIDE_DEP_OPERATION_TIMEOUT',
        });
        await Promise.all([a.close(), b.close()]);
      } finally {
        emit.mockRestore();
      }
    });

    it('refuses both names at once', () => {
      const error = errorOf(() => build({ operationTimeout: 50, operationTimeoutMs: 50 }));
      expect(error.code).toBe('ERR_CACHE_ASIDE_INVALID_ARGUMENT');
      expect(error.message).toContain('operationTimeoutMs only');
    });

    it('is still validated under its old name', () => {
      jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      expect(() => build({ operationTimeout: -1 })).toThrow(/operationTimeoutMs/);
      jest.restoreAllMocks();
    });
  });

  describe('closestName', () => {
    const known = new Set(['keyPrefix', 'defaultTtl', 'tags', 'failureThreshold']);
    it('prefers the same letters in another case, then containment, then few edits', () => {
      expect(closestName('KEYPREFIX', known)).toBe('keyPrefix');
      expect(closestName('threshold', known)).toBe('failureThreshold');
      expect(closestName('tag', known)).toBe('tags');
      expect(closestName('defaultTl', known)).toBe('defaultTtl');
      expect(closestName('q', known)).toBeUndefined();
    });
  });
});
