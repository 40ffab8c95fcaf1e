import RedisMock from 'ioredis-mock';
import { createOwnedClient, isConnectionOptions } from '../../../lib/nestjs/redis-connection';

const listener = { onError: () => undefined, onReady: () => undefined };

describe('CacheAsideModule redis option', () => {
  it('tells connection options (a plain object) from a client (an instance)', () => {
    expect(isConnectionOptions({ url: 'redis://127.0.0.1:6379' })).toBe(true);
    expect(isConnectionOptions({ host: '127.0.0.1', port: 6379 })).toBe(true);
    expect(isConnectionOptions(Object.create(null))).toBe(true);
    const client = new RedisMock();
    expect(isConnectionOptions(client)).toBe(false);
    client.disconnect();
    expect(isConnectionOptions(null)).toBe(false);
    expect(isConnectionOptions('redis://127.0.0.1')).toBe(false);
  });

  it('names the package to install when ioredis is missing', () => {
    const missing = (id: string): never => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    };
    expect(() => createOwnedClient({ url: 'redis://127.0.0.1:1' }, listener, missing)).toThrow(
      /\[cache-aside\].*"ioredis".*npm install ioredis.*or pass a client/,
    );
  });

  it('passes on any other failure to load ioredis unchanged', () => {
    const broken = (): never => {
      throw new SyntaxError('Unexpected token');
    };
    expect(() => createOwnedClient({}, listener, broken)).toThrow(SyntaxError);
  });

  it('creates the client lazily connected, with a capped retry, and options passed through', () => {
    const made: unknown[][] = [];
    class FakeRedis {
      status = 'wait';
      constructor(...args: unknown[]) {
        made.push(args);
      }
      on(): this {
        return this;
      }
    }
    createOwnedClient({ url: 'redis://127.0.0.1:6390', db: 2 }, listener, () => FakeRedis);
    const [url, settings] = made[0] as [string, Record<string, unknown>];
    expect(url).toBe('redis://127.0.0.1:6390');
    expect(settings).toMatchObject({ db: 2, lazyConnect: true, maxRetriesPerRequest: 1 });
    expect((settings.retryStrategy as (n: number) => number)(100)).toBe(500);
  });
});
