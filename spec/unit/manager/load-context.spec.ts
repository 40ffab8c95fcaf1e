import { cycleClosedBy, insideLoad } from '../../../lib/manager/load-context';

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
});
