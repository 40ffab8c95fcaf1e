/**
 * The IPC protocol between the orchestrator and its worker processes. The "database" lives in the
 * orchestrator: workers load versions from it and bump versions in it, and report what the cache
 * answered, so the oracle sees every acknowledged write and every read in one place.
 */

/** Everything a worker needs to build its client and its traffic. */
export interface WorkerSetup {
  index: number;
  seed: number;
  /** Standalone: the relay's port. Cluster: relay ports of every node, mapped from real ports. */
  standalonePort?: number;
  clusterNatMap?: Record<string, number>;
  keyPrefix: string;
  groups: number;
  keysPerGroup: number;
}

/** How a write reached the cache after its database update. */
export type WriteKind = 'invalidate' | 'set' | 'tags' | 'pattern';

/** One read as the worker saw it: which version the cache answered, and when. */
export interface ReadRecord {
  op: 'get' | 'getMany';
  worker: number;
  key: string;
  start: number;
  end: number;
  version: number;
  /** A get whose own loader ran: when it was called (soak clock), to tell a wait from a load. */
  loaderAt?: number;
}

/** One acknowledged cache write: from `ackAt` on, a read must answer at least `version`. */
export interface AckRecord {
  worker: number;
  key: string;
  version: number;
  ackAt: number;
  kind: WriteKind;
}

export interface WorkerFinal {
  heapStartBytes: number;
  heapEndBytes: number;
  operations: number;
  failedCalls: number;
  failures: string[];
  unhandled: string[];
  errorEvents: Record<string, number>;
}

export type ToWorker =
  | { type: 'setup'; setup: WorkerSetup }
  | { type: 'start' }
  | { type: 'stop' }
  | { type: 'loaded'; id: number; versions: number[] }
  | { type: 'write-granted'; id: number; versions: number[] | null }
  | { type: 'burst'; key: string; callers: number };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'load'; id: number; keys: string[] }
  | { type: 'write-begin'; id: number; keys: string[] }
  | { type: 'write-end'; keys: string[]; acks: AckRecord[] }
  | { type: 'reads'; reads: ReadRecord[] }
  | { type: 'final'; final: WorkerFinal }
  | { type: 'unhandled'; what: string }
  /** The worker's client became ready (again), at this soak-clock time. */
  | { type: 'client-ready'; at: number };
