/**
 * A user installs only the client they use: loading the library (and its testing aid) must not
 * load any client package. Each client package is made unloadable here; the library still loads
 * and runs a cached read on the embedded store.
 */
describe('loading cache-aside', () => {
  it('loads no client package (ioredis, iovalkey, redis, @redis/client)', async () => {
    const loaded: string[] = [];
    for (const name of ['ioredis', 'iovalkey', 'redis', '@redis/client']) {
      jest.doMock(name, () => {
        loaded.push(name);
        throw new Error(`${name} is not installed`);
      });
    }
    let testing: typeof import('../../../lib/testing') | undefined;
    await jest.isolateModulesAsync(async () => {
      await import('../../../lib');
      testing = await import('../../../lib/testing');
    });
    const cache = testing!.createInMemoryManager({ keyPrefix: 'no-client:' });
    const loader = jest.fn(async () => 'loaded');
    expect(await cache.get('k', loader)).toBe('loaded');
    await cache.settle();
    expect(await cache.get('k', loader)).toBe('loaded');
    expect(loader).toHaveBeenCalledTimes(1);
    await cache.close();
    expect(loaded).toEqual([]);
  });
});
