/**
 * The soak's one clock: CLOCK_MONOTONIC through `process.hrtime`, which on Linux is shared by
 * every process of the machine, so a read timed in one worker and a write acknowledged in another
 * can be ordered without trusting wall-clock time or IPC delivery order.
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
