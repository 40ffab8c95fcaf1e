import { CircuitBreaker } from '../../../lib/redis/circuit-breaker';

describe('CircuitBreaker', () => {
  let now = 0;
  const breaker = (): CircuitBreaker =>
    new CircuitBreaker({ failureThreshold: 2, cooldownMs: 100, now: () => now });

  beforeEach(() => (now = 0));

  it('stays closed below the threshold and on success', () => {
    const b = breaker();
    b.recordFailure();
    expect(b.state).toBe('closed');
    expect(b.allowsRequest()).toBe(true);
    b.recordSuccess();
    b.recordFailure();
    expect(b.state).toBe('closed');
  });

  it('ends a probe that failed without counting: open again, then one new probe', () => {
    const b = breaker();
    b.recordFailure();
    b.recordFailure();
    now = 100;
    expect(b.allowsRequest()).toBe(true); // the probe (a getMany chunk, say)
    b.recordUncountedFailure();
    expect(b.state).toBe('open');
    expect(b.allowsRequest()).toBe(false);
    now = 200;
    expect(b.allowsRequest()).toBe(true);
  });

  it('ignores an uncounted failure outside a probe', () => {
    const b = breaker();
    b.recordUncountedFailure();
    b.recordUncountedFailure();
    expect(b.state).toBe('closed');
    expect(b.clean).toBe(true);
  });

  it('opens after consecutive failures and skips requests for the cool-down', () => {
    const b = breaker();
    b.recordFailure();
    b.recordFailure();
    expect(b.state).toBe('open');
    expect(b.allowsRequest()).toBe(false);
    now = 99;
    expect(b.allowsRequest()).toBe(false);
  });

  it('lets exactly one probe through after the cool-down, and closes when it succeeds', () => {
    const b = breaker();
    b.recordFailure();
    b.recordFailure();
    now = 100;
    expect(b.state).toBe('half-open');
    expect(b.allowsRequest()).toBe(true);
    expect(b.allowsRequest()).toBe(false);
    b.recordSuccess();
    expect(b.state).toBe('closed');
    expect(b.allowsRequest()).toBe(true);
  });

  it('opens again for a full cool-down when the probe fails', () => {
    const b = breaker();
    b.recordFailure();
    b.recordFailure();
    now = 150;
    expect(b.allowsRequest()).toBe(true);
    b.recordFailure();
    expect(b.state).toBe('open');
    now = 249;
    expect(b.allowsRequest()).toBe(false);
    now = 250;
    expect(b.allowsRequest()).toBe(true);
  });

  it('forgets failures on reset and uses sensible defaults', () => {
    const b = new CircuitBreaker();
    for (let i = 0; i < 3; i++) b.recordFailure();
    expect(b.state).toBe('open');
    b.reset();
    expect(b.state).toBe('closed');
  });
});
