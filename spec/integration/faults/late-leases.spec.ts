import { LEASE_MARKER_PREFIX } from '../../../lib/entry/entry-format';
import { Measurements, NO_WAIT_BOUND_MS, timed } from '../../support/fault-kit';
import { stalledPair } from './stalled-pair';

const measured = new Measurements('a stalled connection delivers a lease the caller gave up on');
afterAll(() => measured.print());

/**
 * Late leases (issue #12, finding 2), through the relay of late-writes.spec.ts: a lease that
 * manager A gave up on (its take, or the store under it, stalled past A's deadline) must not make
 * manager B (another process) wait. Holds without scripting too (docs/security.md: leases are
 * still taken and given back).
 */
describe('a lease the caller gave up on (stalled connection)', () => {
  const pair = stalledPair('late-leases');

  it('a lease taken by a command that timed out makes nobody wait', async () => {
    const { a, b, proxy, releaseAndDrain } = pair();
    // A's GET goes through; its lease (SET NX or a script) is held by the relay, A gives up on
    // it and serves its loader.
    proxy.stallAt(LEASE_MARKER_PREFIX);
    expect(await a.get('y', () => 'from A')).toBe('from A');
    await releaseAndDrain();
    let loads = 0;
    const { value, ms } = await timed(() => b.get('y', () => `from B ${++loads}`));
    measured.add('get after the stall, of a key whose lease A gave up on', ms);
    expect(value).toBe('from B 1');
    // Polling a lease that nobody holds lasts leaseTtlMs (1 s here); a free key costs no wait.
    expect(ms).toBeLessThan(NO_WAIT_BOUND_MS * 4);
    await b.settle();
    expect(await b.get('y', () => 'not expected')).toBe('from B 1');
  });

  it('a lease whose store timed out makes nobody wait once the connection carries again', async () => {
    const { a, b, proxy, releaseAndDrain } = pair();
    // The lease and the loader go through; the store (the only command with this value) stalls.
    proxy.stallAt('value-of-z');
    expect(await a.get('z', () => 'value-of-z')).toBe('value-of-z');
    await a.settle(); // the store times out: A has given up on it
    await releaseAndDrain();
    let loads = 0;
    const { value, ms } = await timed(() => b.get('z', () => `from B ${++loads}`));
    measured.add('get after the stall, of a key whose store A gave up on', ms);
    // The store runs only under A's lease, so it may land late (its fence is the lease's
    // lifetime): nothing was written meanwhile, and A's loaded value is what B gets, at once.
    // Either way nobody waits for a lease that no load is behind.
    expect(value).toBe('value-of-z');
    expect(loads).toBe(0);
    expect(ms).toBeLessThan(NO_WAIT_BOUND_MS * 4);
  });
});
