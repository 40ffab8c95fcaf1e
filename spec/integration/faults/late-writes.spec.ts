import { captureErrors, codesOf } from '../../support/fault-kit';
import { stalledPair } from './stalled-pair';

/**
 * Late writes (issue #12, finding 1). Manager A talks to Redis through a relay that stalls: it
 * holds A's bytes past A's deadline, then delivers them. Manager B (another process, as far as
 * Redis can tell) talks to Redis directly. What A gave up on must not land over what B wrote
 * afterwards. (The write fence is a script: without scripting, docs/security.md gives it up.)
 * The leases A gave up on: late-leases.spec.ts.
 */
describe('a write the caller gave up on (stalled connection)', () => {
  const pair = stalledPair('late-writes');

  it('a set that timed out never lands over a later set of another process', async () => {
    const { a, b, proxy, releaseAndDrain } = pair();
    const errors = captureErrors(a);
    proxy.stall();
    await a.set('x', 'v1'); // fail-open: resolves after the deadline
    expect(codesOf(errors)).toContain('REDIS_TIMEOUT');
    await b.set('x', 'v2'); // acknowledged after A gave up
    await releaseAndDrain();
    expect(await b.get('x', () => 'loaded')).toBe('v2');
  });

  it('a set that timed out never lands over a later invalidation of another process', async () => {
    const { a, b, proxy, releaseAndDrain } = pair();
    await b.set('x', 'v0');
    proxy.stall();
    await a.set('x', 'v1');
    expect(await b.invalidate('x')).toBe(1);
    await releaseAndDrain();
    expect(await b.get('x', () => 'loaded')).toBe('loaded');
  });
});
