import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { LEASE_MARKER_PREFIX } from '../entry/entry-format';

/**
 * The cross-process half of "one load per key": before loading a missing key, a process puts a
 * lease marker at the key itself (`SET key marker NX PX leaseTtl`). Others who read the marker
 * wait for the value instead of loading. The holder stores its result only if its marker is
 * still there (one Lua script), so an invalidation or a `set` during the load — both remove or
 * replace the marker — makes the late result fall on the floor instead of landing stale.
 *
 * Keeping the lease at the key (not beside it) means it lives in the key's own Cluster slot,
 * pattern invalidation finds it with the entries, and a crashed holder costs at most leaseTtl.
 */
export function newLeaseMarker(): string {
  return PROCESS_MARKER + (++markers).toString(36);
}

/**
 * What makes a marker ours: 72 random bits drawn once per process (other processes cannot
 * guess or repeat them), then a counter (no two loads of this process share a marker). A marker
 * per miss then costs one short string, not a `randomBytes` buffer and its encoding.
 */
const PROCESS_MARKER = LEASE_MARKER_PREFIX + randomBytes(9).toString('base64url') + '.';
let markers = 0;

/**
 * Backoff of a process waiting for another's load: short at first, capped, until the deadline —
 * and always one last look at or after the deadline, so a waiter that was slow to be scheduled
 * (a busy machine) still sees the lease expire instead of giving up just before.
 */
export async function* pollSchedule(
  deadline: number,
  now: () => number = Date.now,
): AsyncGenerator<void> {
  let delay = 2;
  for (;;) {
    const left = deadline - now();
    await sleep(Math.max(0, Math.min(delay, left)));
    yield;
    if (left <= delay) return;
    delay = Math.min(delay * 2, 50);
  }
}
