import { Oracle, SLOW_GET_MS } from '../../../soak/oracle';
import type { FaultRecord } from '../../../soak/fault-injector';
import type { AckRecord, ReadRecord } from '../../../soak/messages';

const W = 1000;

function ack(key: string, version: number, ackAt: number): AckRecord {
  return { worker: 0, key, version, ackAt, kind: 'invalidate' };
}

function read(key: string, version: number, start: number, end = start + 1): ReadRecord {
  return { op: 'get', worker: 1, key, version, start, end };
}

function judge(acks: AckRecord[], reads: ReadRecord[], faults: FaultRecord[] = []) {
  const oracle = new Oracle(W);
  oracle.recordAcks(acks);
  oracle.recordReads(reads);
  return oracle.evaluate(faults);
}

describe('the soak oracle', () => {
  it('counts a read that starts after an acknowledged write and answers an older version', () => {
    const verdict = judge([ack('a', 2, 100)], [read('a', 1, 150)]);
    expect(verdict.staleBeyondWindow).toBe(1);
    expect(verdict.staleExamples[0]).toMatchObject({ key: 'a', answered: 1, expected: 2 });
  });

  it('accepts the acknowledged version or a newer one, and reads that began before the ack', () => {
    const verdict = judge(
      [ack('a', 2, 100)],
      [read('a', 2, 150), read('a', 3, 150), read('a', 1, 99), read('a', 1, 100)],
    );
    expect(verdict.staleBeyondWindow + verdict.staleWithinWindow).toBe(0);
    expect(verdict.readsChecked).toBe(4);
  });

  it('uses the latest acknowledgement before the read, whatever order acks arrive in', () => {
    const verdict = judge([ack('a', 3, 300), ack('a', 2, 100)], [read('a', 2, 350)]);
    expect(verdict.staleBeyondWindow).toBe(1);
    expect(verdict.staleExamples[0]?.expected).toBe(3);
  });

  it('excuses a read that starts during a fault or less than W after it ended', () => {
    const stall: FaultRecord = { kind: 'stall', target: 'all', start: 200, end: 500 };
    const verdict = judge(
      [ack('a', 2, 100)],
      [read('a', 1, 300), read('a', 1, 500 + W - 1), read('a', 1, 500 + W + 1)],
      [stall],
    );
    expect(verdict.staleWithinWindow).toBe(2);
    expect(verdict.staleWithinByFault).toEqual({ stall: 2 });
    expect(verdict.staleBeyondWindow).toBe(1);
  });

  it('does not excuse, past W, a write acknowledged during the fault (a late write shows)', () => {
    const stall: FaultRecord = { kind: 'stall', target: 'worker 0', start: 0, end: 500 };
    const verdict = judge([ack('a', 2, 300)], [read('a', 1, 500 + W + 10)], [stall]);
    expect(verdict.staleBeyondWindow).toBe(1);
  });

  it('excuses a write lost with a node killed between its ack and the read', () => {
    const kill: FaultRecord = { kind: 'master-kill', target: ':7000', start: 200, end: 400 };
    const verdict = judge([ack('a', 2, 100)], [read('a', 1, 400 + W + 500)], [kill]);
    expect(verdict.staleBeyondWindow).toBe(0);
    expect(verdict.staleWithinByFault).toEqual({ 'master-kill': 1 });
  });

  it('reports slow gets and latency quantiles, outside and inside fault windows', () => {
    const oom: FaultRecord = { kind: 'oom', target: ':1', start: 10_000, end: 10_100 };
    const verdict = judge(
      [],
      [read('x', 0, 0, 2), read('x', 0, 0, SLOW_GET_MS + 5), read('x', 0, 10_050, 12_000)],
      [oom],
    );
    expect(verdict.gets).toBe(3);
    expect(verdict.slowGetsBeyondWindow).toBe(1);
    expect(verdict.slowGetsWithinWindow).toBe(1);
    expect(verdict.getP50).toBe(SLOW_GET_MS + 5);
    expect(verdict.maxGetMsBeyondWindow).toBe(SLOW_GET_MS + 5);
  });

  it('says what each slow get waited for, and under which fault', () => {
    const stall: FaultRecord = { kind: 'stall', target: 'all', start: 0, end: 100 };
    const slow = 2 * SLOW_GET_MS;
    const verdict = judge(
      [],
      [
        { ...read('a', 0, 0, slow), loaderAt: slow - 10 }, // a lease wait, then its own load
        { ...read('b', 0, 0, slow), loaderAt: 10 }, // its own loader was slow
        read('c', 0, 0, slow), // waited, and answered without loading
        { ...read('d', 0, 0, 5), loaderAt: 1 }, // fast: not counted
      ],
      [stall],
    );
    expect(verdict.slowByCause).toEqual({
      'waited, then loaded': 1,
      'loaded slowly': 1,
      'waited, no load of its own': 1,
    });
    expect(verdict.slowWithinByFault).toEqual({ stall: 3 });
    expect(verdict.slowMaxWaitBeforeLoad).toBe(slow - 10);
  });
});
