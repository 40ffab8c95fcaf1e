import { freePort, type RedisServer } from '../../spec/support/redis-server';
import type { RedisTarget, SubjectDefinition } from '../subjects/subject';
import { buildAll, closeAll, type Built } from '../support/harness';
import { bounded } from '../support/measure';
import { recordFor, type Loader } from '../support/record';
import type { BenchSettings } from '../support/settings';

/** Calls made per subject; the last one is reported beside the first. */
export const FAILURE_CALLS = 5;
/** After this many calls that hit the hard bound, the rest are not tried (they would only wait too). */
const MAX_HUNG_CALLS = 2;

export type CallCell =
  | { readonly outcome: 'value' | 'error'; readonly ms: number }
  | { readonly outcome: 'timeout'; readonly limitMs: number; readonly tried: boolean }
  | { readonly na: string };

export interface FailureRow {
  readonly id: string;
  readonly label: string;
  readonly unreachableFirst: CallCell;
  readonly unreachableLast: CallCell;
  readonly pausedFirst: CallCell;
  readonly pausedLast: CallCell;
}

const instant: Loader = (key) => recordFor(key);

/** Subjects of this library go first, alone, so that the peers' stuck calls cannot disturb them. */
const isOurs = (id: string): boolean => id.startsWith('cache-aside');

async function callSeries(b: Built, key: string, limitMs: number): Promise<CallCell[]> {
  if (!b.subject) return Array.from({ length: FAILURE_CALLS }, () => ({ na: b.unavailable! }));
  const cells: CallCell[] = [];
  let hung = 0;
  for (let i = 0; i < FAILURE_CALLS; i++) {
    if (hung >= MAX_HUNG_CALLS) {
      cells.push({ outcome: 'timeout', limitMs, tried: false });
      continue;
    }
    const result = await bounded(() => b.subject!.get(key, instant), limitMs);
    if (result.outcome === 'timeout') {
      hung++;
      cells.push({ outcome: 'timeout', limitMs, tried: true });
    } else {
      cells.push({ outcome: result.outcome, ms: result.ms });
    }
  }
  return cells;
}

async function series(
  built: readonly Built[],
  key: string,
  limitMs: number,
): Promise<Map<string, CallCell[]>> {
  const cells = new Map<string, CallCell[]>();
  for (const b of built.filter((b) => isOurs(b.def.id)))
    cells.set(b.def.id, await callSeries(b, key, limitMs));
  const peers = built.filter((b) => !isOurs(b.def.id));
  const peerCells = await Promise.all(peers.map((b) => callSeries(b, key, limitMs)));
  peers.forEach((b, i) => cells.set(b.def.id, peerCells[i]));
  return cells;
}

/**
 * Unreachable: each subject is built and called at once, as an application starting while Redis
 * is down would (its client still connecting), then closed before the next.
 */
async function unreachableSeries(
  defs: readonly SubjectDefinition[],
  key: string,
  limitMs: number,
): Promise<Map<string, CallCell[]>> {
  const nowhere: RedisTarget = { host: '127.0.0.1', port: await freePort() };
  const one = async (def: SubjectDefinition): Promise<CallCell[]> => {
    const built = await buildAll([def], nowhere, 'down');
    try {
      return await callSeries(built[0], key, limitMs);
    } finally {
      await closeAll(built);
    }
  };
  const cells = new Map<string, CallCell[]>();
  const ours = defs.filter((def) => isOurs(def.id));
  const peers = defs.filter((def) => !isOurs(def.id));
  for (const def of ours) cells.set(def.id, await one(def));
  const peerCells = await Promise.all(peers.map(one));
  peers.forEach((def, i) => cells.set(def.id, peerCells[i]));
  return cells;
}

/**
 * A call's latency (loader returning at once) when Redis is unreachable (a port nothing listens
 * on) and when it is paused (SIGSTOP: connections open, no replies). Every call is bounded.
 */
export async function failureScenario(
  defs: readonly SubjectDefinition[],
  server: RedisServer,
  s: BenchSettings,
): Promise<FailureRow[]> {
  const unreachable = await unreachableSeries(defs, 'user:1', s.hardTimeoutMs);

  const live: RedisTarget = { host: server.host, port: server.port };
  const pausedBuilt = await buildAll(defs, live, 'paused');
  let paused: Map<string, CallCell[]>;
  try {
    // The key is cached first: with Redis up, these calls would be hits.
    for (const b of pausedBuilt) {
      if (b.subject)
        await bounded(async () => {
          await b.subject!.get('user:1', instant);
          await b.subject!.settle();
        }, s.hardTimeoutMs);
    }
    server.pause();
    try {
      paused = await series(pausedBuilt, 'user:1', s.hardTimeoutMs);
    } finally {
      server.resume();
    }
  } finally {
    await closeAll(pausedBuilt);
  }

  return defs.map((def) => {
    const down = unreachable.get(def.id)!;
    const stopped = paused.get(def.id)!;
    return {
      id: def.id,
      label: def.label,
      unreachableFirst: down[0],
      unreachableLast: down[FAILURE_CALLS - 1],
      pausedFirst: stopped[0],
      pausedLast: stopped[FAILURE_CALLS - 1],
    };
  });
}
