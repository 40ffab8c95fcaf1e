import { CacheAsideManager, type CacheError } from '../../../lib';
import { LEASE_MARKER_PREFIX } from '../../../lib/entry/entry-format';
import { AUTO_WINDOW } from '../../../lib/manager/leasing-reads';
import { adminFor, type AdminClient } from '../../support/admin-client';
import { familyUnderTest, type TestClient } from '../../support/client-families';
import {
  adminRedisUrl,
  collectErrors,
  newTestClient,
  ready,
  testRedisUrl,
  uniquePrefix,
} from '../../support/test-redis';

/**
 * The read that takes the lease (`leaseOnRead`, issue #13): a miss is one command for its read
 * and its lease, then the store; one load per key across processes still holds; `'auto'` takes
 * it only while misses are common. On the client family of this jest project. What Redis
 * received is watched with MONITOR (as admin), so it is what the server saw, not what the client
 * believes; the embedded store has no server, and shows the same through its keys.
 */
const family = familyUnderTest();
const onServer = family.name !== 'memory store';
const serverUrl = (): string => (onServer ? testRedisUrl() : '');

/** The commands the server received for keys under `prefix`, lower-cased names and arguments. */
async function watch(prefix: string): Promise<{ commands: string[][]; stop(): Promise<void> }> {
  const admin = newTestClient(adminRedisUrl());
  await ready(admin);
  const monitor = await admin.monitor();
  const commands: string[][] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    // What a script ran shows too, from source "lua": the commands sent are what counts here.
    if (source !== 'lua' && args.some((arg) => arg.startsWith(prefix)))
      commands.push(args.map((a) => a.toLowerCase()));
  });
  // MONITOR sees what was sent after it was on: one command through it marks that point.
  const fence = `${prefix}~monitor-on`;
  await admin.exists(fence);
  const deadline = Date.now() + 5000;
  while (!commands.some((c) => c[1] === fence.toLowerCase()) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 5));
  commands.length = 0;
  return {
    commands,
    async stop() {
      monitor.disconnect();
      admin.disconnect();
    },
  };
}

/** Waits until MONITOR has shown `count` commands (bounded), then names them. */
async function names(watched: { commands: string[][] }, count: number): Promise<string[]> {
  const deadline = Date.now() + 5000;
  while (watched.commands.length < count && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 50)); // nothing more comes
  return watched.commands.map(([name, , , ...rest]) =>
    name === 'set' && rest.includes('get') ? 'set nx get' : name,
  );
}

describe(`leaseOnRead on ${family.name}`, () => {
  let under: TestClient;
  let admin: AdminClient;
  let prefix: string;
  const managers: CacheAsideManager[] = [];
  const errors: CacheError[] = [];

  const manager = (options: Partial<ConstructorParameters<typeof CacheAsideManager>[0]> = {}) => {
    const cache = new CacheAsideManager({ redis: under.client, keyPrefix: prefix, ...options });
    collectErrors(cache, errors);
    managers.push(cache);
    return cache;
  };

  beforeAll(async () => {
    under = await family.standalone(serverUrl());
    admin = await adminFor(under, serverUrl());
  });
  beforeEach(() => {
    prefix = uniquePrefix('leasing-reads');
    errors.length = 0;
  });
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close()));
    expect(errors).toEqual([]);
  });
  afterAll(async () => {
    await admin.close();
    await under.close();
  });

  it("'always': the read puts our lease at an absent key; another process waits for our load", async () => {
    const first = manager({ leaseOnRead: 'always' });
    const other = manager({ leaseOnRead: 'always' });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const loads = jest.fn();
    const loading = first.get('k', async () => {
      loads('first');
      await gate;
      return 'loaded';
    });
    const deadline = Date.now() + 5000;
    while (loads.mock.calls.length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 2));
    const atKey = await admin.getBuffer(`${prefix}k`);
    expect(atKey?.toString('latin1').startsWith(LEASE_MARKER_PREFIX)).toBe(true);
    const waiting = other.get('k', async () => {
      loads('other');
      return 'other load';
    });
    await new Promise((r) => setTimeout(r, 30));
    release();
    expect(await loading).toBe('loaded');
    expect(await waiting).toBe('loaded');
    expect(loads.mock.calls).toEqual([['first']]);
    await first.settle();
    expect(await admin.pttl(`${prefix}k`)).toBeGreaterThan(0);
    expect(await other.get('k', async () => 'reloaded')).toBe('loaded');
  });

  it("'always': a hit answers as with GET, and a value not to be cached gives the lease back", async () => {
    const cache = manager({ leaseOnRead: 'always' });
    await cache.set('hit', { a: 1 });
    expect(await cache.get('hit', async () => ({ a: 2 }))).toEqual({ a: 1 });
    expect(await cache.get('gone', async () => 'not kept', { ttl: () => 0 })).toBe('not kept');
    await cache.settle();
    expect(await admin.exists(`${prefix}gone`)).toBe(0);
  });

  it("'always': a loader that fails gives the lease back at once", async () => {
    const cache = manager({ leaseOnRead: 'always' });
    await expect(
      cache.get('fails', async () => {
        throw new Error('loader down');
      }),
    ).rejects.toThrow('loader down');
    await cache.settle();
    expect(await admin.exists(`${prefix}fails`)).toBe(0);
    expect(await cache.get('fails', async () => 'second try')).toBe('second try');
  });

  it("'always': a 'miss' listener that throws fails that call and leaves no lease behind", async () => {
    const cache = manager({ leaseOnRead: 'always', leaseTtlMs: 3000 });
    let thrown = false;
    cache.on('miss', () => {
      if (thrown) return;
      thrown = true;
      throw new Error('listener bug');
    });
    await expect(cache.get('k', async () => 'never')).rejects.toThrow('listener bug');
    await cache.settle();
    expect(await admin.exists(`${prefix}k`)).toBe(0);
    const started = Date.now();
    expect(await manager({ leaseOnRead: 'never' }).get('k', async () => 'loaded')).toBe('loaded');
    expect(Date.now() - started).toBeLessThan(1000); // not the 3 s lease
  });

  if (onServer) {
    it("'always': a miss is SET NX GET then the store; 'never': GET, the lease take, the store", async () => {
      const watched = await watch(prefix);
      try {
        const leasing = manager({ leaseOnRead: 'always', keyPrefix: `${prefix}a:` });
        const plain = manager({ leaseOnRead: 'never', keyPrefix: `${prefix}b:` });
        // A miss each first: the scripts are then loaded and Redis's clock sampled.
        for (const cache of [leasing, plain]) await cache.get('warm-up', async () => 0);
        await Promise.all([leasing.settle(), plain.settle()]);
        await names(watched, 5); // MONITOR may lag behind: let the warm-up's commands pass
        watched.commands.length = 0;
        await leasing.get('k', async () => 'v');
        await leasing.settle();
        expect(await names(watched, 2)).toEqual(['set nx get', 'evalsha']);
        watched.commands.length = 0;
        await plain.get('k', async () => 'v');
        await plain.settle();
        // GET, then the lease take (a fenced script), then the store.
        expect(await names(watched, 3)).toEqual(['get', 'evalsha', 'evalsha']);
      } finally {
        await watched.stop();
      }
    });

    it("'auto': reads start as GET, turn to SET NX GET while misses are common, and back", async () => {
      const cache = manager({ leaseOnRead: 'auto' });
      const watched = await watch(prefix);
      try {
        // A window of misses: the next window's reads take the lease.
        for (let i = 0; i < AUTO_WINDOW; i++) await cache.get(`miss:${i}`, async () => i);
        await cache.settle();
        const firstWindow = await names(watched, AUTO_WINDOW);
        expect(firstWindow.filter((n) => n === 'get')).toHaveLength(AUTO_WINDOW);
        expect(firstWindow).not.toContain('set nx get');
        watched.commands.length = 0;
        // Hits now (every key is cached): still leasing reads for this window, then GET again.
        for (let i = 0; i < AUTO_WINDOW + 4; i++)
          await cache.get(`miss:${i % AUTO_WINDOW}`, async () => -1);
        const reads = await names(watched, AUTO_WINDOW + 4);
        expect(reads.slice(0, AUTO_WINDOW)).toEqual(Array(AUTO_WINDOW).fill('set nx get'));
        expect(reads.slice(AUTO_WINDOW)).toEqual(['get', 'get', 'get', 'get']);
      } finally {
        await watched.stop();
      }
    });
  }
});
