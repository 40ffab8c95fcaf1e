import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startRedisServer, type RedisServer } from '../../support/redis-server';
import { uniquePrefix } from '../../support/test-redis';
import { NEST_MAJORS } from './nest-majors';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** A case may start a node process and a Nest application or two on a loaded machine. */
const CASE_TIMEOUT_MS = 150_000;

/** "db queries so far: N" of each request of the sample's tour, in order. */
function queriesPerStep(output: string): number[] {
  return [...output.matchAll(/db queries so far: (\d+)/g)].map((m) => Number(m[1]));
}

/**
 * The NestJS integration end to end, every case on Nest 11 and on Nest 12 (see nest-majors.ts:
 * Nest 12 runs each scenario in a node process of its own, which must end by itself).
 */
describe.each(NEST_MAJORS)('CacheAsideModule on Nest $major (real HTTP, real Redis)', (nest) => {
  let server: RedisServer;

  beforeAll(async () => {
    nest.prepare();
    server = await startRedisServer();
  }, 300_000);

  afterAll(async () => {
    await server.stop();
  });

  const run = (name: string): Promise<unknown> =>
    nest.scenario(name, {
      redisUrl: server.url,
      databaseUrl: DATABASE_URL,
      prefix: uniquePrefix(`nest${nest.major}-${name}`),
    });

  describe('one application', () => {
    it(
      'serves repeated GETs from the cache (default and forRootAsync managers), evicts on PUT, and closes the clients it created',
      async () => {
        const report = (await run('httpReadsEvictsAndCloses')) as { clientsClosed: number };
        expect(report).toMatchObject({
          names: [{ name: 'Ada' }, { name: 'Ada' }, { name: 'Ada Lovelace' }],
          readsAfterHit: 1,
          reads: 2,
          stored: true,
          // the named manager from forRootAsync, over HTTP: loaded once, then a hit
          sessions: [
            { token: 't1', load: 1 },
            { token: 't1', load: 1 },
          ],
          storedSession: true,
        });
        // Both clients the module created (default and "sessions") are gone.
        expect(report.clientsClosed).toBeGreaterThanOrEqual(2);
      },
      CASE_TIMEOUT_MS,
    );

    it(
      'registers a named manager from forRootAsync with options from an injected provider',
      async () => {
        expect(await run('namedManagerFromFactory')).toEqual({
          isManager: true,
          sameAsDefault: false,
          loads: [1, 1],
          stored: true,
        });
      },
      CASE_TIMEOUT_MS,
    );

    it(
      'never closes a client the application passed in',
      async () => {
        expect(await run('ownClientLeftOpen')).toEqual({
          name: 'Grace',
          status: 'ready',
          ping: 'PONG',
        });
      },
      CASE_TIMEOUT_MS,
    );

    it(
      'gives getCacheAsideToken() to overrideProvider, and leaves the override open',
      async () => {
        expect(await run('overrideProviderManager')).toEqual({
          injected: true,
          name: 'Ada',
          stored: true,
          openAfterClose: 'yes',
        });
      },
      CASE_TIMEOUT_MS,
    );

    it(
      'samples/nest over HTTP: PostgreSQL once per key, PUT evicts, PATCH stores, Redis stopped still serves, the table dropped on close',
      async () => {
        expect(await run('sampleOverHttp')).toEqual({
          first: 'Espresso cup',
          repeatedGet: 1,
          prices: [4900, 4900, 4900],
          afterPut: 3, // the UPDATE, one read of the product, one of the listing
          patched: 'Blue teapot',
          afterPatch: 0,
          reportRepeated: {
            queries: 0,
            hitsOnReportsManager: 2,
            categories: ['kitchen', 'office'],
          },
          redisStopped: 2,
          tableLeft: null,
        });
      },
      CASE_TIMEOUT_MS,
    );
  });

  describe('several applications in one process (as e2e suites create them)', () => {
    it(
      'keeps each on its own managers, and A caching after B closes',
      async () => {
        expect(await run('twoApplications')).toEqual({
          seen: ['A:1', 'B:1', 'A:1', 'A:2'],
          storedA: true,
          storedB: true,
          transients: ['A:3', 'B:3'],
          storedTransients: true,
          storedAfter: true,
          loadsA: 2,
        });
      },
      CASE_TIMEOUT_MS,
    );

    it(
      'gives request-scoped and per-request transient providers their own application’s managers, over HTTP, behind guards and interceptors',
      async () => {
        expect(await run('perRequestProvidersTwoApps')).toEqual({
          // A, B, A (hit), transient A, transient B, `new` in a request of B, then A after B closed
          seen: ['A:1', 'B:1', 'A:1', 'A:1', 'B:1', 'new:5', 'A:2', 'A:1'],
          keys: {
            aRequest: true,
            bRequest: true,
            aTransient: true,
            bTransient: true,
            bNew: true,
            aGuard: true,
            bGuard: true,
          },
          unwrapped: 0, // every response went through the application's interceptor
          // A: request 1, transient 1, request 2, and the guard's read of 0 (once: then hits)
          loadsA: 4,
          loadsB: 3,
        });
      },
      CASE_TIMEOUT_MS,
    );

    it(
      'points the process-wide registry at the newest application still running, and at none once all closed',
      async () => {
        const report = await run('processWideRegistry');
        expect(report).toEqual({
          inB: true,
          inA: true,
          afterAllClosed: expect.stringMatching(/no cache manager is registered/) as unknown,
        });
      },
      CASE_TIMEOUT_MS,
    );
  });

  describe('bootstrap errors that name the fix', () => {
    it(
      'a provider injecting a manager no module registers: the token names the import',
      async () => {
        expect(await run('missingModuleNamed')).toEqual({
          error: expect.stringMatching(
            /CacheAsideModule\.forRootAsync with name: 'sessions'/,
          ) as unknown,
        });
      },
      CASE_TIMEOUT_MS,
    );

    it(
      'a decorated method using a manager the application does not register',
      async () => {
        expect(await run('unregisteredManagerAtBootstrap')).toEqual({
          error: expect.stringMatching(
            /"audit", used by AuditService\.audit: import CacheAsideModule\.forRootAsync\(\{ name: 'audit'/,
          ) as unknown,
        });
      },
      CASE_TIMEOUT_MS,
    );

    it(
      'one manager name registered twice in one application',
      async () => {
        expect(await run('nameRegisteredTwice')).toEqual({
          error: expect.stringMatching(/registers the manager "default" twice/) as unknown,
        });
      },
      CASE_TIMEOUT_MS,
    );

    it(
      "cache-aside's CacheInterceptor used as a Nest interceptor",
      async () => {
        expect(await run('interceptorNameClash')).toEqual({
          error: expect.stringMatching(
            /not a NestJS interceptor.*CacheAsideModule from 'cache-aside\/nestjs'/,
          ) as unknown,
        });
      },
      CASE_TIMEOUT_MS,
    );
  });

  describe('processes that end by themselves (no handle left open by app.close())', () => {
    // On Nest 12 every scenario above already ran in a process of its own that had to end by
    // itself; on Nest 11 they ran in the jest process, so these run again in their own.
    if (nest.major === 11) {
      it.each(['httpReadsEvictsAndCloses', 'twoApplications', 'sampleOverHttp'])(
        '%s, in a process of its own, ends by itself',
        async (name) => {
          const { code, output } = await nest.runScript('spec/integration/nestjs/scenarios/run', {
            SCENARIO: name,
            REDIS_URL: server.url,
            DATABASE_URL,
            KEY_PREFIX: uniquePrefix(`nest${nest.major}-exit`),
          });
          expect({ code, output }).toMatchObject({
            code: 0,
            output: expect.stringContaining('SCENARIO-REPORT') as unknown,
          });
        },
        CASE_TIMEOUT_MS,
      );
    }

    it(
      'the sample (samples/nest/main) as a user runs it: its tour, then exit',
      async () => {
        const { code, output } = await nest.runScript('samples/nest/main', {
          REDIS_URL: server.url,
          DATABASE_URL,
        });
        expect(code).toBe(0);
        const steps = queriesPerStep(output);
        expect(steps).toHaveLength(10);
        // Hits skip PostgreSQL (exact counts: the sampleOverHttp case, which waits for the
        // connection; the tour does not, so its first reads may be served by PostgreSQL).
        expect(steps[9]).toBeLessThan(10);
      },
      CASE_TIMEOUT_MS,
    );

    it(
      'the sample with nothing listening at REDIS_URL: every read from PostgreSQL, then exit',
      async () => {
        const { code, output } = await nest.runScript('samples/nest/main', {
          REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
          DATABASE_URL,
        });
        expect(code).toBe(0);
        expect(output).toContain('Redis is unreachable');
        expect(queriesPerStep(output)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      },
      CASE_TIMEOUT_MS,
    );
  });

  if (nest.major === 12) {
    it('resolves @nestjs/core to Nest 12 (ESM) from the compiled module', () => {
      const compat = join(__dirname, '..', '..', 'nest-compat');
      const resolved = require.resolve('@nestjs/core', {
        paths: [join(compat, 'build', 'lib', 'nestjs')],
      });
      expect(resolved.startsWith(join(compat, 'node_modules'))).toBe(true);
      const pkg = JSON.parse(
        readFileSync(join(compat, 'node_modules', '@nestjs', 'core', 'package.json'), 'utf8'),
      ) as { version: string; type?: string };
      expect(pkg.version).toMatch(/^12\./);
      expect(pkg.type).toBe('module');
    });
  }
});
