import fc from 'fast-check';
import { CacheAsideManager, MemoryStore } from '../../../lib';

/**
 * The classic cache-aside race, explored by fast-check's scheduler over many interleavings of
 * reads (whose loaders read the "database" and return later), writes followed by an invalidation
 * (or by a `set` of the new row) and two managers sharing one Redis, as two processes would:
 * once an invalidation has completed, no read that starts afterwards may see an older row, and
 * the cache never ends up holding one.
 */
describe('no stale set after an invalidation (fast-check scheduler)', () => {
  type Op = { kind: 'read' | 'write' | 'set'; by: 0 | 1 };
  const op = fc.record({
    kind: fc.constantFrom<'read' | 'write' | 'set'>('read', 'read', 'write', 'set'),
    by: fc.constantFrom<0 | 1>(0, 1),
  });

  it('never serves a row older than the last completed invalidation', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(op, { minLength: 2, maxLength: 7 }),
        async (s, ops: Op[]) => {
          // Two managers on one embedded store, as two processes on one Redis.
          const store = new MemoryStore();
          const managers = [store, store].map(
            (redis) =>
              new CacheAsideManager({ redis, keyPrefix: 'race:', ttlJitter: 0, leaseTtlMs: 2000 }),
          );
          const db = { version: 0 };
          let invalidatedUpTo = 0;
          const load = async (): Promise<number> => {
            const row = db.version; // the loader reads the row now...
            await s.schedule(Promise.resolve(), 'loader returns'); // ...and returns whenever the scheduler says
            return row;
          };
          try {
            let done = false;
            const all = Promise.all(
              ops.map(async ({ kind, by }) => {
                await s.schedule(Promise.resolve(), `${kind} by ${by} starts`);
                const manager = managers[by];
                if (kind === 'read') {
                  const atLeast = invalidatedUpTo;
                  const row = await manager.get('row', load);
                  expect(row).toBeGreaterThanOrEqual(atLeast);
                } else {
                  const version = ++db.version;
                  if (kind === 'set') await manager.set('row', version);
                  else await manager.invalidate('row');
                  invalidatedUpTo = Math.max(invalidatedUpTo, version);
                }
              }),
            ).finally(() => (done = true));
            // Release scheduled steps one at a time, in the order fast-check picks. Redis calls
            // resolve on their own in between, so a step may be scheduled after the queue ran dry:
            // keep going until every operation has finished (bounded).
            // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- `done` is set by a callback TypeScript's narrowing cannot see
            for (let step = 0; !done && step < 10_000; step++) {
              // eslint-disable-next-line @typescript-eslint/no-deprecated -- waitOne's step-by-step order is what this property explores
              if (s.count() > 0) await s.waitOne();
              // Let in-memory Redis answer between steps, so that invalidations complete
              // while other loads are still pending.
              for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
            }
            await all;
            await Promise.all(managers.map((m) => m.settle()));
            // Whatever the cache holds now is the latest row.
            for (const manager of managers)
              expect(await manager.get('row', async () => db.version)).toBe(db.version);
          } finally {
            await Promise.all(managers.map((m) => m.close()));
            store.close();
          }
        },
      ),
      { seed: 20261126, numRuns: 200 },
    );
  });
});
