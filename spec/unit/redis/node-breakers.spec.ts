import { CircuitBreaker } from '../../../lib/redis/circuit-breaker';
import { NodeBreakers } from '../../../lib/redis/node-breakers';

describe('NodeBreakers (one circuit breaker per Cluster master)', () => {
  let now = 0;
  const fallback = (): CircuitBreaker =>
    new CircuitBreaker({ failureThreshold: 1, cooldownMs: 100, now: () => now });

  it('standalone: every key has the one breaker it was given', () => {
    const one = fallback();
    const breakers = new NodeBreakers(one, undefined);
    expect(breakers.forKey('a')).toBe(one);
    expect(breakers.forKey(undefined)).toBe(one);
    expect(breakers.states()).toEqual({});
  });

  it("runners with the same fallback share each node's breaker (a getMany's batch view too)", () => {
    const one = fallback();
    const routing = {
      nodeOf: (key: string) => `node-of-${key}`,
      servingNodes: () => new Set(['node-of-a']),
    };
    const own = new NodeBreakers(one, routing);
    const batchView = new NodeBreakers(one, routing);
    own.forKey('a').recordFailure(); // the manager's commands open the shard's circuit
    expect(batchView.forKey('a')).toBe(own.forKey('a'));
    expect(batchView.forKey('a').allowsRequest()).toBe(false);
    expect(new NodeBreakers(fallback(), routing).forKey('a').allowsRequest()).toBe(true);
  });

  it('a Cluster: a breaker per serving master, the fallback for keys of no known node', () => {
    const table = new Map([
      ['a', 'n1:1'],
      ['b', 'n2:1'],
    ]);
    let serving = new Set(['n1:1', 'n2:1']);
    const breakers = new NodeBreakers(fallback(), {
      nodeOf: (key) => table.get(key),
      servingNodes: () => serving,
    });
    const a = breakers.forKey('a');
    expect(breakers.forKey('a')).toBe(a);
    expect(breakers.forKey('b')).not.toBe(a);
    expect(breakers.forKey('unknown')).toBe(breakers.fallback);

    a.recordFailure(); // n1 dies: its shard alone is skipped
    expect(a.allowsRequest()).toBe(false);
    expect(breakers.forKey('b').allowsRequest()).toBe(true);
    expect(breakers.states()).toEqual({ 'n1:1': 'open', 'n2:1': 'closed' });
    expect(breakers.state).toBe('open');
    now += 100;
    expect(breakers.state).toBe('half-open');

    // n1's replica is promoted: n1 serves nothing any more and is forgotten.
    table.set('a', 'n3:1');
    serving = new Set(['n2:1', 'n3:1']);
    expect(breakers.forKey('a').allowsRequest()).toBe(true);
    expect(breakers.state).toBe('closed');
    expect(Object.keys(breakers.states()).sort()).toEqual(['n2:1', 'n3:1']);

    breakers.forKey('b').recordFailure();
    breakers.fallback.recordFailure();
    breakers.reset();
    expect(breakers.state).toBe('closed');
  });
});
