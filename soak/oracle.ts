import type { AckRecord, ReadRecord, WriteKind } from './messages';
import type { FaultKind, FaultRecord } from './fault-injector';

/** Faults that can lose an acknowledged write (replication is asynchronous, nothing persists). */
const KILLS: readonly FaultKind[] = ['kill-restart', 'master-kill'];

/** A read slower than this counts as a slow get (a lease nobody holds makes readers wait ~5 s). */
export const SLOW_GET_MS = 1000;

/**
 * What a slow get spent its time on: waiting before its own loader ran (another process's load
 * lease, a Redis deadline), its own loader, or waiting without loading (for another's value, or
 * for a load of this process it joined).
 */
export type SlowCause = 'waited, then loaded' | 'loaded slowly' | 'waited, no load of its own';

export interface StaleExample {
  key: string;
  answered: number;
  expected: number;
  ackKind: WriteKind;
  /** From the acknowledgement to the start of the read, ms. */
  afterAckMs: number;
  /** Soak-clock time of the read's start. */
  start: number;
  op: ReadRecord['op'];
  readBy: number;
  ackBy: number;
}

export interface OracleVerdict {
  readsChecked: number;
  staleBeyondWindow: number;
  staleWithinWindow: number;
  staleWithinByFault: Partial<Record<FaultKind, number>>;
  staleBeyondByWrite: Partial<Record<WriteKind, number>>;
  staleExamples: StaleExample[];
  slowGetsBeyondWindow: number;
  /** The first slow gets beyond the window: key, soak-clock start, duration in ms. */
  slowExamples: Array<{ key: string; start: number; ms: number }>;
  slowGetsWithinWindow: number;
  /** Slow gets inside a fault window, by the fault. */
  slowWithinByFault: Partial<Record<FaultKind, number>>;
  /** Every slow get, by what it spent its time on. */
  slowByCause: Partial<Record<SlowCause, number>>;
  /** Of the slow gets that loaded themselves: the longest wait before their loader ran, ms. */
  slowMaxWaitBeforeLoad: number;
  maxGetMsBeyondWindow: number;
  getP50: number;
  getP99: number;
  getMax: number;
  gets: number;
}

/**
 * Knows every acknowledged write and every read. A read is STALE when it started after the
 * acknowledgement of version v of its key and answered a version below v. It is excused ("within
 * the window") when it started while a fault was active or less than `windowMs` after one ended,
 * or when a node was killed between the acknowledgement and the read (the write may be lost with
 * it). Otherwise it is stale beyond the window, which the library promises never happens: once
 * Redis is healthy again for W, every write acknowledged before — even during the fault — holds.
 */
export class Oracle {
  private readonly acks = new Map<string, AckRecord[]>();
  private readonly reads: ReadRecord[] = [];

  constructor(readonly windowMs: number) {}

  recordAcks(acks: readonly AckRecord[]): void {
    for (const ack of acks) {
      const list = this.acks.get(ack.key) ?? [];
      list.push(ack);
      this.acks.set(ack.key, list);
    }
  }

  recordReads(reads: readonly ReadRecord[]): void {
    for (const read of reads) this.reads.push(read);
  }

  evaluate(faults: readonly FaultRecord[]): OracleVerdict {
    const windows = faults.map((f) => ({ kind: f.kind, from: f.start, to: f.end + this.windowMs }));
    const faultIn = (from: number, to: number): FaultKind | undefined => {
      let found: FaultKind | undefined;
      for (const w of windows) if (w.from <= to && w.to >= from) found = w.kind;
      return found;
    };
    /** A node killed between the ack and the read may take the acknowledged write with it. */
    const killBetween = (from: number, to: number): FaultKind | undefined =>
      faults.find((f) => KILLS.includes(f.kind) && f.start >= from && f.start <= to)?.kind;
    for (const list of this.acks.values()) list.sort((a, b) => a.ackAt - b.ackAt);

    const verdict: OracleVerdict = {
      readsChecked: 0,
      staleBeyondWindow: 0,
      staleWithinWindow: 0,
      staleWithinByFault: {},
      staleBeyondByWrite: {},
      staleExamples: [],
      slowGetsBeyondWindow: 0,
      slowExamples: [],
      slowGetsWithinWindow: 0,
      slowWithinByFault: {},
      slowByCause: {},
      slowMaxWaitBeforeLoad: 0,
      maxGetMsBeyondWindow: 0,
      getP50: 0,
      getP99: 0,
      getMax: 0,
      gets: 0,
    };
    const getLatencies: number[] = [];
    for (const read of this.reads) {
      if (read.op === 'get') {
        const ms = read.end - read.start;
        getLatencies.push(ms);
        const fault = faultIn(read.start, read.end);
        if (fault === undefined)
          verdict.maxGetMsBeyondWindow = Math.max(verdict.maxGetMsBeyondWindow, ms);
        if (ms > SLOW_GET_MS) {
          const cause = slowCauseOf(read);
          verdict.slowByCause[cause] = (verdict.slowByCause[cause] ?? 0) + 1;
          if (read.loaderAt !== undefined)
            verdict.slowMaxWaitBeforeLoad = Math.max(
              verdict.slowMaxWaitBeforeLoad,
              read.loaderAt - read.start,
            );
          if (fault === undefined) {
            verdict.slowGetsBeyondWindow++;
            if (verdict.slowExamples.length < 5)
              verdict.slowExamples.push({ key: read.key, start: read.start, ms });
          } else {
            verdict.slowGetsWithinWindow++;
            verdict.slowWithinByFault[fault] = (verdict.slowWithinByFault[fault] ?? 0) + 1;
          }
        }
      }
      const acks = this.acks.get(read.key);
      if (!acks) continue;
      verdict.readsChecked++;
      const latest = lastBefore(acks, read.start);
      if (!latest || read.version >= latest.version) continue;
      const fault = faultIn(read.start, read.start) ?? killBetween(latest.ackAt, read.start);
      if (fault !== undefined) {
        verdict.staleWithinWindow++;
        verdict.staleWithinByFault[fault] = (verdict.staleWithinByFault[fault] ?? 0) + 1;
        continue;
      }
      verdict.staleBeyondWindow++;
      verdict.staleBeyondByWrite[latest.kind] = (verdict.staleBeyondByWrite[latest.kind] ?? 0) + 1;
      if (verdict.staleExamples.length < 10)
        verdict.staleExamples.push({
          key: read.key,
          answered: read.version,
          expected: latest.version,
          ackKind: latest.kind,
          afterAckMs: read.start - latest.ackAt,
          start: read.start,
          op: read.op,
          readBy: read.worker,
          ackBy: latest.worker,
        });
    }
    getLatencies.sort((a, b) => a - b);
    verdict.gets = getLatencies.length;
    verdict.getP50 = quantile(getLatencies, 0.5);
    verdict.getP99 = quantile(getLatencies, 0.99);
    verdict.getMax = getLatencies[getLatencies.length - 1] ?? 0;
    return verdict;
  }
}

function slowCauseOf(read: ReadRecord): SlowCause {
  if (read.loaderAt === undefined) return 'waited, no load of its own';
  return read.loaderAt - read.start >= read.end - read.loaderAt
    ? 'waited, then loaded'
    : 'loaded slowly';
}

/** The last acknowledgement strictly before `time` (acks sorted by time). */
function lastBefore(acks: readonly AckRecord[], time: number): AckRecord | undefined {
  let lo = 0;
  let hi = acks.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (acks[mid].ackAt < time) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? acks[lo - 1] : undefined;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
