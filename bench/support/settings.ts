/** How long and how often each scenario measures; `--quick` divides the time for a smoke run. */
export interface BenchSettings {
  readonly quick: boolean;
  /** Callers in flight for the throughput runs. */
  readonly inFlight: number;
  /** Rounds of the hit-path throughput run (the median is reported). */
  readonly hitRounds: number;
  readonly hitRoundMs: number;
  readonly warmupMs: number;
  /** Rounds and calls per round of the sequential latency runs. */
  readonly latencyRounds: number;
  readonly latencyCalls: number;
  readonly missRounds: number;
  readonly missRoundMs: number;
  readonly missLatencyCalls: number;
  readonly batchRounds: number;
  readonly batchRoundMs: number;
  readonly memoryRounds: number;
  readonly memoryRoundMs: number;
  /** Distinct keys the hit runs cycle through. */
  readonly hitKeys: number;
  /** Bound on any one call in the failure scenarios. */
  readonly hardTimeoutMs: number;
  readonly profileSeconds: number;
}

export function settingsFor(quick: boolean): BenchSettings {
  const scale = quick ? 0.25 : 1;
  return {
    quick,
    inFlight: 64,
    hitRounds: quick ? 3 : 10,
    hitRoundMs: quick ? 200 : 500,
    warmupMs: Math.round(400 * scale),
    latencyRounds: quick ? 2 : 3,
    latencyCalls: quick ? 500 : 2000,
    missRounds: quick ? 2 : 5,
    missRoundMs: quick ? 150 : 400,
    missLatencyCalls: quick ? 200 : 600,
    batchRounds: quick ? 1 : 3,
    batchRoundMs: Math.round(500 * scale),
    memoryRounds: quick ? 2 : 5,
    memoryRoundMs: quick ? 100 : 300,
    hitKeys: 1000,
    hardTimeoutMs: 5000,
    profileSeconds: quick ? 1 : 3,
  };
}
