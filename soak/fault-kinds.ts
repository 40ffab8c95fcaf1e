/** The faults the injector knows; `master-kill` only applies to a Cluster. */
export const FAULT_KINDS = [
  'stall',
  'reset',
  'refuse',
  'kill-restart',
  'oom',
  'master-kill',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];
