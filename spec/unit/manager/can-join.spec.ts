import { clockNow, lastWriteTicket, noteWrite } from '../../../lib/manager/flight-clock';
import { canJoin, canJoinUnread, SingleFlight } from '../../../lib/manager/single-flight';

/** Issue #12 finding 7: which loads in flight a read may join. */
describe('canJoin', () => {
  const flights = new SingleFlight<string>();
  const never = new Promise<string>(() => undefined);

  function begin(key: string): { lease?: string; begun: number } {
    let seen!: { lease?: string; begun: number };
    void flights.run(key, (flight) => {
      seen = flight;
      return never;
    });
    flights.forget(key);
    return seen;
  }

  it('joins a leased load only when the read saw its lease at the key', () => {
    const flight = begin('a');
    flight.lease = 'L1';
    const startedAt = clockNow();
    expect(canJoin(flight, { state: 'leased', marker: 'L1' }, startedAt)).toBe(true);
    expect(canJoin(flight, { state: 'leased', marker: 'L2' }, startedAt)).toBe(false);
    expect(canJoin(flight, { state: 'absent' }, startedAt)).toBe(false);
  });

  it('joins a load without a lease only if it began after the read started', () => {
    const startedAt = clockNow();
    const after = begin('b');
    expect(canJoin(after, { state: 'absent' }, startedAt)).toBe(true);
    const before = begin('c');
    expect(canJoin(before, { state: 'absent' }, clockNow())).toBe(false);
  });

  it('without reading Redis, joins unless a write was noted after the load began', () => {
    const flight = begin('d');
    expect(canJoinUnread(flight, lastWriteTicket())).toBe(true);
    noteWrite();
    expect(canJoinUnread(flight, lastWriteTicket())).toBe(false);
  });
});
