import type { FaultRecord } from './fault-injector';
import type { OracleVerdict } from './oracle';
import { SLOW_GET_MS } from './oracle';
import type { WorkerHandle } from './worker-pool';

/** Loads of one burst key: how many times the loader ran for one cold key read by everyone. */
export interface BurstResult {
  loads: number;
  /** True when a fault (or its window) overlapped the burst. */
  underFault: boolean;
}

export interface SoakSummary {
  title: string;
  windowMs: number;
  /** Soak-clock time the traffic started, for times in the report. */
  origin: number;
  faults: readonly FaultRecord[];
  verdict: OracleVerdict;
  workers: readonly WorkerHandle[];
  loadsPerKey: ReadonlyMap<string, number>;
  loaderCalls: number;
  bursts: readonly BurstResult[];
}

/** The summary table, and whether every must held (failed calls, stale beyond W, crashes). */
export function renderReport(summary: SoakSummary): { text: string; passed: boolean } {
  const { verdict, workers } = summary;
  const finals = workers.map((w) => w.final);
  const failedCalls = finals.reduce((n, f) => n + (f?.failedCalls ?? 0), 0);
  const unhandled = workers.reduce(
    (n, w) => n + Math.max(w.unhandled.length, w.final?.unhandled.length ?? 0),
    0,
  );
  const crashed = workers.filter((w) => w.crashed).length;
  const operations = finals.reduce((n, f) => n + (f?.operations ?? 0), 0);
  const rows: Array<[string, string, string]> = [];
  const must = (name: string, value: number): void => {
    rows.push([name, String(value), value === 0 ? 'ok (must be 0)' : 'BROKEN (must be 0)']);
  };
  const info = (name: string, value: string): void => {
    rows.push([name, value, '']);
  };

  info(
    'faults injected',
    `${summary.faults.length} (${countBy(summary.faults.map((f) => f.kind))})`,
  );
  info('operations', String(operations));
  info('reads checked by the oracle', String(verdict.readsChecked));
  must('failed calls', failedCalls);
  must('stale reads beyond the window', verdict.staleBeyondWindow);
  must('worker crashes', crashed);
  must('unhandled rejections', unhandled);
  info(
    'stale reads within the window',
    `${verdict.staleWithinWindow}${byKind(verdict.staleWithinByFault)}`,
  );
  if (verdict.staleBeyondWindow > 0)
    info('  beyond the window, by write', byKind(verdict.staleBeyondByWrite).trim());
  info(
    `slow gets > ${SLOW_GET_MS} ms`,
    `${verdict.slowGetsBeyondWindow} beyond the window, ${verdict.slowGetsWithinWindow} within`,
  );
  if (verdict.slowGetsWithinWindow + verdict.slowGetsBeyondWindow > 0) {
    info('  slow gets within, by fault', byKind(verdict.slowWithinByFault).trim() || 'none');
    info('  slow gets, by what they waited for', byKind(verdict.slowByCause).trim());
    if (verdict.slowMaxWaitBeforeLoad > 0)
      info('  longest wait before its own load', ms(verdict.slowMaxWaitBeforeLoad));
  }
  info(
    'get latency p50 / p99 / max',
    `${ms(verdict.getP50)} / ${ms(verdict.getP99)} / ${ms(verdict.getMax)} (${verdict.gets} gets)`,
  );
  info('max get beyond any fault window', ms(verdict.maxGetMsBeyondWindow));
  const regular = [...summary.loadsPerKey]
    .filter(([key]) => !key.startsWith('burst:'))
    .map(([, n]) => n);
  info(
    'loader calls',
    `${summary.loaderCalls} calls; per key max ${Math.max(0, ...regular)}, mean ${mean(regular).toFixed(1)}`,
  );
  const clean = summary.bursts.filter((b) => !b.underFault).map((b) => b.loads);
  const faulty = summary.bursts.filter((b) => b.underFault).map((b) => b.loads);
  info('stampede: loads per burst key, no fault', burstLine(clean));
  info('stampede: loads per burst key, under a fault', burstLine(faulty));
  for (const w of workers)
    info(
      `heap of worker ${w.index} (pid ${w.pid})`,
      w.final
        ? `${mb(w.final.heapStartBytes)} -> ${mb(w.final.heapEndBytes)}`
        : `no report: ${w.crashed ?? 'unknown'}`,
    );
  const events: Record<string, number> = {};
  for (const f of finals)
    for (const [code, n] of Object.entries(f?.errorEvents ?? {}))
      events[code] = (events[code] ?? 0) + n;
  info(
    'error events (reported, not thrown)',
    countBy(Object.entries(events).flatMap(([c, n]) => Array<string>(n).fill(c))) || 'none',
  );

  const width = Math.max(...rows.map(([n]) => n.length));
  const valueWidth = Math.max(...rows.map(([, v, m]) => (m ? v.length : 0)));
  const lines = [
    summary.title,
    `window W = ${summary.windowMs} ms after each fault`,
    ...rows.map(([n, v, m]) => `  ${n.padEnd(width)}  ${v.padEnd(valueWidth)}  ${m}`.trimEnd()),
  ];
  for (const e of verdict.staleExamples)
    lines.push(
      `  stale at ${((e.start - summary.origin) / 1000).toFixed(2)} s: ${e.op} ${e.key} in worker ` +
        `${e.readBy} answered v${e.answered}; v${e.expected} acknowledged by ${e.ackKind} in ` +
        `worker ${e.ackBy} ${e.afterAckMs.toFixed(0)} ms before the read`,
    );
  for (const e of verdict.slowExamples)
    lines.push(
      `  slow at ${((e.start - summary.origin) / 1000).toFixed(2)} s: get ${e.key} took ` +
        `${e.ms.toFixed(0)} ms, with no fault for W before it`,
    );
  for (const w of workers) {
    for (const f of w.final?.failures ?? []) lines.push(`  failed call in worker ${w.index}: ${f}`);
    if (w.crashed) lines.push(`  worker ${w.index} ${w.crashed}`);
  }
  const passed =
    failedCalls === 0 && verdict.staleBeyondWindow === 0 && crashed === 0 && unhandled === 0;
  lines.push(passed ? 'PASS: every must held' : 'FAIL: a must was broken (see above)');
  return { text: lines.join('\n'), passed };
}

function burstLine(loads: readonly number[]): string {
  if (loads.length === 0) return 'no bursts';
  return `max ${Math.max(...loads)}, mean ${mean(loads).toFixed(2)} over ${loads.length} bursts`;
}

function countBy(items: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ${n}`).join(', ');
}

function byKind(counts: Partial<Record<string, number>>): string {
  const text = Object.entries(counts)
    .map(([k, n]) => `${k} ${String(n)}`)
    .join(', ');
  return text ? ` (${text})` : '';
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
