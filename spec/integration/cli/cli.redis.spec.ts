import type { Cluster, Redis } from 'ioredis';
import { CacheAsideManager } from '../../../lib';
import { tagVersionKey } from '../../../lib/cli/tag-version-key';
import { EntryKind, encodeEntry, encodeCodecId } from '../../../lib/entry/entry-format';
import {
  clusterNodeUrl,
  newClusterClient,
  newTestClient,
  ready,
  testRedisUrl,
  uniquePrefix,
} from '../../support/test-redis';
import { eventually, runCaptured } from './cli-harness';

/**
 * The command-line tool end to end: entries written by a real CacheAsideManager (tags, grace, a
 * load in flight) plus bytes it did not write (a foreign value, a corrupt payload, a truncated
 * envelope), against the standalone server and the Cluster of the global setup.
 */
describe.each(['standalone', 'cluster'] as const)('cache-aside CLI (%s)', (mode) => {
  let client: Redis | Cluster;
  let manager: CacheAsideManager;
  let prefix: string;
  let releaseSlowLoad: (value: unknown) => void;
  let slowLoad: Promise<unknown>;

  const connection = (): string[] =>
    mode === 'cluster' ? ['--url', clusterNodeUrl(), '--cluster'] : ['--url', testRedisUrl()];
  const cli = (...args: string[]) => runCaptured([...args, ...connection(), '--prefix', prefix]);
  const json = (text: string): Record<string, unknown> =>
    JSON.parse(text) as Record<string, unknown>;

  beforeAll(async () => {
    client = mode === 'cluster' ? newClusterClient() : newTestClient();
    await ready(client);
    prefix = uniquePrefix(`cli-${mode}`);
    manager = new CacheAsideManager({ redis: client, keyPrefix: prefix });

    await manager.set('user:1', { name: 'Ada', langs: ['en', 'fr'] }, { ttl: 60 });
    await manager.get('user:2', async () => ({ id: 2 }), { ttl: 60, tags: ['users'] });
    await manager.set('user:3', null, { ttl: 60 });
    await manager.get('stale:1', async () => 'old', { ttl: 0.2, grace: 60 });
    await eventually(async () => {
      const run = await cli('inspect', 'stale:1', '--json');
      return json(run.stdout).freshness === 'stale';
    });
    slowLoad = manager.get(
      'slow:1',
      () =>
        new Promise((resolve) => {
          releaseSlowLoad = resolve;
        }),
      { ttl: 60 },
    );
    await eventually(async () => (await client.exists(prefix + 'slow:1')) === 1);
    await client.set(prefix + 'foreign:1', 'written by another app', 'EX', 60);
    const now = Date.now();
    await client.set(
      prefix + 'corrupt:payload',
      encodeEntry({
        kind: EntryKind.Value,
        codecId: encodeCodecId('json'),
        writtenAt: now,
        freshUntil: now + 60_000,
        payload: '{"not": json',
      }),
      'EX',
      60,
    );
    const whole = await client.getBuffer(prefix + 'user:1');
    await client.set(prefix + 'corrupt:head', whole!.subarray(0, 20), 'EX', 60);
  });

  afterAll(async () => {
    releaseSlowLoad('late');
    await slowLoad.catch(() => undefined);
    await manager.close();
    client.disconnect();
  });

  describe('inspect', () => {
    it('describes an entry and prints its decoded value', async () => {
      const run = await cli('inspect', 'user:1');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('kind:        value');
      expect(run.stdout).toContain('codec:       json');
      expect(run.stdout).toMatch(/fresh until: \S+ \(fresh, (\d+m )?\d+s left\)/);
      expect(run.stdout).toMatch(/redis ttl:\s+(\d+m )?\d+s/);
      expect(run.stdout).toContain("name: 'Ada'");
      expect(run.stderr).toBe('');
    });

    it('gives the same in --json, and the payload bytes with --raw', async () => {
      const run = await cli('inspect', 'user:1', '--json');
      expect(run.code).toBe(0);
      const doc = json(run.stdout);
      expect(doc).toMatchObject({
        key: 'user:1',
        type: 'entry',
        kind: 'value',
        codec: 'json',
        freshness: 'fresh',
        tags: [],
        served: true,
        value: { name: 'Ada', langs: ['en', 'fr'] },
      });
      expect(doc.pttlMs).toBeGreaterThan(50_000);
      expect(Date.parse(doc.writtenAt as string)).toBeLessThanOrEqual(Date.now());

      const raw = await cli('inspect', 'user:1', '--raw');
      expect(raw.code).toBe(0);
      expect(JSON.parse(raw.stdoutBytes.toString('utf8'))).toEqual({
        name: 'Ada',
        langs: ['en', 'fr'],
      });
    });

    it('shows null entries, stale entries in grace, and tag stamps', async () => {
      expect(json((await cli('inspect', 'user:3', '--json')).stdout)).toMatchObject({
        kind: 'null',
        value: null,
      });
      const stale = json((await cli('inspect', 'stale:1', '--json')).stdout);
      expect(stale).toMatchObject({ freshness: 'stale', value: 'old' });
      expect(stale.pttlMs).toBeGreaterThan(0);
      expect((await cli('inspect', 'stale:1')).stdout).toMatch(/stale for .*, kept for grace/);
      expect(json((await cli('inspect', 'user:2', '--json')).stdout)).toMatchObject({
        tags: [{ tag: 'users', current: true }],
        served: true,
      });
    });

    it('reports a load in flight', async () => {
      const run = await cli('inspect', 'slow:1');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('a load is in flight');
      expect(json((await cli('inspect', 'slow:1', '--json')).stdout)).toMatchObject({
        type: 'lease',
      });
    });

    it('says clearly when the value is not ours or corrupt (exit 4), and when there is no key (exit 1)', async () => {
      const foreign = await cli('inspect', 'foreign:1');
      expect(foreign.code).toBe(4);
      expect(foreign.stdout).toContain('not a cache-aside entry');
      expect(foreign.stdout).not.toContain('written by another app');
      expect(json((await cli('inspect', 'foreign:1', '--json')).stdout)).toMatchObject({
        type: 'unreadable',
      });

      const head = await cli('inspect', 'corrupt:head');
      expect(head.code).toBe(4);
      expect(head.stdout).toContain('truncated');

      const payload = await cli('inspect', 'corrupt:payload', '--json');
      expect(payload.code).toBe(4);
      expect(json(payload.stdout)).toMatchObject({ type: 'entry', codec: 'json' });
      expect(json(payload.stdout).decodeError).toMatch(/json serializer refuses the payload/);

      const missing = await cli('inspect', 'no-such-key');
      expect(missing.code).toBe(1);
      expect(missing.stdout).toContain('no such key');
      expect((await cli('inspect')).code).toBe(2);
    });
  });

  describe('ls', () => {
    it('lists keys with size, TTL and state', async () => {
      const run = await cli('ls', '--json', '--limit', '1000');
      expect(run.code).toBe(0);
      const doc = json(run.stdout) as {
        keys: Array<{ key: string; state: string; size: number }>;
        cursor: null;
      };
      const states = Object.fromEntries(doc.keys.map((row) => [row.key, row.state]));
      expect(states).toMatchObject({
        'user:1': 'fresh',
        'stale:1': 'stale',
        'slow:1': 'lease',
        'foreign:1': 'undecodable',
        'corrupt:head': 'undecodable',
      });
      expect(doc.cursor).toBeNull();
      const text = await cli('ls', 'user:*');
      expect(text.stdout).toMatch(/^KEY\s+SIZE\s+TTL\s+STATE$/m);
      expect(text.stdout).toMatch(/^user:1\s+\d+\s+(\d+m )?\d+s\s+fresh$/m);
      expect(text.stdout).not.toContain('stale:1');
    });

    it('pages with --limit and --cursor and sees every key once', async () => {
      for (let i = 0; i < 30; i++) await manager.set(`page:${i}`, i, { ttl: 60 });
      const seen: string[] = [];
      let cursor: string | null | undefined;
      let pages = 0;
      do {
        const run = await cli(
          'ls',
          'page:*',
          '--json',
          '--limit',
          '5',
          '--count',
          '5',
          ...(cursor ? ['--cursor', cursor] : []),
        );
        const doc = json(run.stdout) as { keys: Array<{ key: string }>; cursor: string | null };
        seen.push(...doc.keys.map((row) => row.key));
        cursor = doc.cursor;
        pages++;
      } while (cursor !== null && pages < 100);
      expect(pages).toBeGreaterThan(1);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `page:${i}`).sort());
    });

    it('exits 1 when nothing matches and 2 on a bad cursor', async () => {
      const none = await cli('ls', 'nothing-here:*');
      expect(none.code).toBe(1);
      expect(none.stdout).toContain('(0 keys, end of scan)');
      expect((await cli('ls', '--cursor', 'banana')).code).toBe(2);
    });
  });

  describe('stats', () => {
    it('sums up each namespace', async () => {
      const run = await cli('stats', '--json');
      expect(run.code).toBe(0);
      const { namespaces } = json(run.stdout) as {
        namespaces: Array<Record<string, number | string | null>>;
      };
      const by: Record<string, Record<string, number | string | null>> = Object.fromEntries(
        namespaces.map((ns) => [String(ns.namespace), ns]),
      );
      expect(by.user).toMatchObject({ entries: 3, leases: 0, undecodable: 0, staleFraction: 0 });
      expect(by.user.bytes).toBeGreaterThan(0);
      expect(by.user.ttlP50Ms).toBeGreaterThan(30_000);
      expect(by.stale).toMatchObject({ entries: 1, staleFraction: 1 });
      expect(by.slow).toMatchObject({ entries: 0, leases: 1 });
      expect(by.foreign).toMatchObject({ undecodable: 1 });
      expect(by.corrupt).toMatchObject({ entries: 1, undecodable: 1 });
      expect(run.stderr).toBe(''); // no progress bar when stderr is not a terminal

      const text = await cli('stats', 'user:*', '--progress');
      expect(text.stdout).toMatch(
        /^NAMESPACE\s+ENTRIES\s+BYTES\s+STALE\s+TTL P50\s+LEASES\s+UNDECODABLE$/m,
      );
      expect(text.stdout).toMatch(/^user\s+3\s/m);
      expect(text.stdout).not.toMatch(/^stale/m);
      expect(text.stderr).toMatch(/scanning \[#+\] 100% \d+ keys/);
    });
  });

  describe('invalidate', () => {
    it('--dry-run lists what would go and deletes nothing', async () => {
      for (let i = 0; i < 12; i++) await manager.set(`dry:${i}`, i, { ttl: 60 });
      const run = await cli('invalidate', 'dry:*', 'user:1', 'no-such', '--dry-run');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('(dry run: 13 keys would be invalidated; nothing was removed)');
      const doc = json((await cli('invalidate', 'dry:*', '--dry-run', '--json')).stdout);
      expect(doc).toMatchObject({ dryRun: true, count: 12 });
      expect((doc.keys as string[]).sort()).toEqual(
        Array.from({ length: 12 }, (_, i) => `dry:${i}`).sort(),
      );
      for (let i = 0; i < 12; i++) expect(await client.exists(`${prefix}dry:${i}`)).toBe(1);
      expect(await client.exists(`${prefix}user:1`)).toBe(1);
    });

    it('removes keys and patterns through the manager, with a count', async () => {
      for (let i = 0; i < 25; i++) await manager.set(`gone:${i}`, i, { ttl: 60 });
      await manager.set('single', 'x', { ttl: 60 });
      const run = await cli(
        'invalidate',
        'gone:*',
        'single',
        '--json',
        '--count',
        '7',
        '--progress',
      );
      expect(run.code).toBe(0);
      expect(json(run.stdout)).toEqual({ invalidated: 26 });
      expect(run.stderr).toMatch(/invalidating \[#+\] 100% 26 keys/);
      for (let i = 0; i < 25; i++) expect(await client.exists(`${prefix}gone:${i}`)).toBe(0);
      expect(await client.exists(`${prefix}single`)).toBe(0);
      const again = await cli('invalidate', 'gone:*');
      expect(again.code).toBe(1);
      expect(again.stdout).toContain('invalidated 0 keys');
    });

    it('is lease-safe: a load in flight does not store its late result', async () => {
      const run = await cli('invalidate', 'slow:1');
      // Only the load's lease was at the key: it goes (so the late result cannot land), but a
      // lease is no entry, and invalidate() counts entries (issue #12, finding 10).
      expect(run.stdout).toContain('invalidated 0 keys');
      expect(run.code).toBe(1);
      releaseSlowLoad('late');
      await expect(slowLoad).resolves.toBe('late');
      await manager.settle();
      expect(await client.exists(`${prefix}slow:1`)).toBe(0);
    });

    it('reaches the in-process tiers of running managers (L1 bus)', async () => {
      const l1Client = mode === 'cluster' ? newClusterClient() : newTestClient();
      await ready(l1Client);
      const withL1 = new CacheAsideManager({
        redis: l1Client,
        keyPrefix: prefix,
        l1: { maxEntries: 100 },
      });
      try {
        let loads = 0;
        const load = async () => ++loads;
        // The tier is used once its subscription is confirmed: read until a value comes from it.
        await eventually(async () => {
          await withL1.get('l1:key', load, { ttl: 60 });
          await client.del(`${prefix}l1:key`); // only the local copy can answer now
          const before = loads;
          await withL1.get('l1:key', load, { ttl: 60 });
          return loads === before;
        });
        await manager.set('l1:key', 'in redis', { ttl: 60 });
        const run = await cli('invalidate', 'l1:key');
        expect(run.code).toBe(0);
        await eventually(async () => {
          const before = loads;
          await withL1.get('l1:key', load, { ttl: 60 });
          return loads === before + 1;
        });
      } finally {
        await withL1.close();
        l1Client.disconnect();
      }
    });
  });

  describe('invalidate-tags', () => {
    it('--dry-run changes nothing; the real run stops tagged entries being served', async () => {
      const tagKey = tagVersionKey(prefix, 'users');
      const before = await client.get(tagKey);
      expect(before).not.toBeNull();
      const dry = await cli('invalidate-tags', 'users', 'never-used', '--dry-run', '--json');
      expect(dry.code).toBe(0);
      expect(json(dry.stdout)).toEqual({
        dryRun: true,
        tags: [
          { tag: 'users', inUse: true },
          { tag: 'never-used', inUse: false },
        ],
      });
      expect(await client.get(tagKey)).toBe(before);

      const run = await cli('invalidate-tags', 'users');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('invalidated 1 tags');
      expect(await client.get(tagKey)).not.toBe(before);
      expect(json((await cli('inspect', 'user:2', '--json')).stdout)).toMatchObject({
        tags: [{ tag: 'users', current: false }],
        served: false,
      });
      expect(
        await manager.get('user:2', async () => 'reloaded', { ttl: 60, tags: ['users'] }),
      ).toBe('reloaded');
    });
  });
});
