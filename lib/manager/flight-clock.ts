/**
 * One process-wide order of read starts, load starts and writes, so that a read can tell whether
 * a load in flight began before a write it must see (issue #12 finding 7). Shared by every
 * manager of the process on purpose: a `set` through one manager must keep a read through another
 * from joining a load begun before it. Only integers: a hit reads two of them and allocates nothing.
 */
let ticket = 0;
let lastWrite = 0;

/** The order of now: a read takes it when it starts (no increment, so a hit costs a load). */
export function clockNow(): number {
  return ticket;
}

/** A new point in the order, after every one given so far: when a load begins. */
export function nextTicket(): number {
  return ++ticket;
}

/** A write or invalidation was issued or settled by a manager of this process. */
export function noteWrite(): void {
  lastWrite = ++ticket;
}

/** The point of the latest write noted, as a read takes it when it starts. */
export function lastWriteTicket(): number {
  return lastWrite;
}
