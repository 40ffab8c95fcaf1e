import {
  cycleClosedBy,
  cycleThroughJoin,
  insideLoad,
  noteJoin,
} from '../../../lib/manager/load-context';

describe('load context', () => {
  const owner = {};
  const other = {};

  it('finds no cycle outside any load', () => {
    expect(cycleClosedBy(owner, 'a', 'p:a')).toBeUndefined();
  });

  it('names a cycle through a batch load by its keys, outermost first', async () => {
    const seen = await insideLoad(owner, ['a'], ['p:a'], [{ begun: 0 }], () =>
      insideLoad(owner, ['b', 'c'], ['p:b', 'p:c'], [{ begun: 0 }, { begun: 0 }], () =>
        Promise.resolve(cycleClosedBy(owner, 'a', 'p:a')),
      ),
    );
    expect(seen).toEqual(['a', '[b, c]', 'a']);
  });

  it("matches another manager's load only by the lease the read saw", async () => {
    const flight = { begun: 0, lease: 'lease-1' };
    const [byKey, byLease] = await insideLoad(other, ['a'], ['p:a'], [flight], () =>
      Promise.resolve([
        cycleClosedBy(owner, 'a', 'p:a'),
        cycleClosedBy(owner, 'a', 'p:a', 'lease-1'),
      ]),
    );
    expect(byKey).toBeUndefined();
    expect(byLease).toEqual(['a', 'a']);
  });

  it('passes on a load that throws synchronously and leaves no frame behind', () => {
    expect(() =>
      insideLoad(owner, ['a'], ['p:a'], [{ begun: 0 }], () => {
        throw new Error('sync');
      }),
    ).toThrow('sync');
    expect(cycleClosedBy(owner, 'a', 'p:a')).toBeUndefined();
  });

  it('ends the chain at a load that has settled', async () => {
    let later: Promise<string[] | undefined> | undefined;
    await insideLoad(owner, ['a'], ['p:a'], [{ begun: 0 }], () => {
      later = new Promise((resolve) => setTimeout(resolve, 5)).then(() =>
        cycleClosedBy(owner, 'a', 'p:a'),
      );
      return Promise.resolve();
    });
    // Another load running keeps the store enabled, so the settled frame is still what is read.
    await insideLoad(owner, ['z'], ['p:z'], [{ begun: 0 }], async () => {
      expect(await later).toBeUndefined();
    });
  });

  describe('cycles across calls (a load joined from inside another)', () => {
    it('finds none outside a load, or where the joined load waits for nothing of ours', async () => {
      const target = { begun: 0 };
      expect(cycleThroughJoin(target, 'x')).toBeUndefined();
      await insideLoad(owner, ['a'], ['p:a'], [{ begun: 0 }], () => {
        expect(cycleThroughJoin(target, 'x')).toBeUndefined();
        return Promise.resolve();
      });
    });

    it('names a cycle through loads that joined others, and forgets a wait once it settles', async () => {
      const a = { begun: 0 };
      const b = { begun: 0 };
      const c = { begun: 0 };
      let release!: () => void;
      const bDone = new Promise<void>((resolve) => (release = resolve));
      // Call 1 loads `a` and, inside, joins the load of `b` (call 2, a batch of b and c).
      const call1 = insideLoad(owner, ['a'], ['p:a'], [a], () => {
        noteJoin(b, bDone);
        return bDone;
      });
      // Call 2 loads [b, c] and, inside, would join the load of `a`: a → b → a.
      await insideLoad(owner, ['b', 'c'], ['p:b', 'p:c'], [b, c], () => {
        expect(cycleThroughJoin(a, 'a')).toEqual(['b', 'a', 'b']);
        // A load that waits for itself through one it has already looked at is no loop forever.
        noteJoin(c, Promise.resolve());
        return Promise.resolve();
      });
      release();
      await call1;
      await insideLoad(owner, ['b'], ['p:b'], [b], () => {
        expect(cycleThroughJoin(a, 'a')).toBeUndefined();
        return Promise.resolve();
      });
    });
  });
});
