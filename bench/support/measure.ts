import { performance } from 'node:perf_hooks';

/** Operations per second of `op` with `inFlight` callers looping for `durationMs`. */
export async function throughput(
  op: (i: number) => Promise<unknown>,
  inFlight: number,
  durationMs: number,
): Promise<number> {
  let count = 0;
  const started = performance.now();
  const end = started + durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      await op(count++);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return count / ((performance.now() - started) / 1000);
}

export interface Percentiles {
  p50: number;
  p99: number;
}

/** Sequential latency of `n` calls, in microseconds. */
export async function latency(
  op: (i: number) => Promise<unknown>,
  n: number,
): Promise<Percentiles> {
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await op(i);
    samples[i] = (performance.now() - t0) * 1000;
  }
  samples.sort();
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99) };
}

export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index];
}

export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
}

/** `value ÷ baseline`, undefined when the baseline did not run (NaN) or measured nothing. */
export function ratioTo(value: number, baseline: number): number | undefined {
  return Number.isFinite(baseline) && baseline > 0 ? value / baseline : undefined;
}

export type Bounded<T> =
  | { readonly outcome: 'value'; readonly ms: number; readonly value: T }
  | { readonly outcome: 'error'; readonly ms: number; readonly error: unknown }
  | { readonly outcome: 'timeout'; readonly ms: number };

/**
 * Runs `task` and reports how long it took, giving up (without cancelling it) after `limitMs`,
 * so that a library that hangs costs the bench a bounded wait.
 */
export async function bounded<T>(task: () => Promise<T>, limitMs: number): Promise<Bounded<T>> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), limitMs);
  });
  try {
    const settled = await Promise.race([
      task().then(
        (value) => ({ outcome: 'value' as const, value }),
        (error: unknown) => ({ outcome: 'error' as const, error }),
      ),
      gaveUp,
    ]);
    const ms = performance.now() - t0;
    if (settled === 'timeout') return { outcome: 'timeout', ms };
    return { ...settled, ms };
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
