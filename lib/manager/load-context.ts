import { AsyncLocalStorage } from 'node:async_hooks';
import type { Flight, SettleListener } from './single-flight';

/**
 * Which loads the current code runs inside, so that a loader reading a key it is itself loading
 * (directly, through a cycle of keys, or through a decorated method calling itself) is caught
 * instead of joining its own load and waiting for itself forever.
 *
 * Only the miss path enters a frame, and only a miss looks one up: a hit never touches the
 * async context. On Node versions where `AsyncLocalStorage` runs on async hooks (Node 20/22), an
 * enabled store makes every promise of the process carry it, hits included; the store is
 * therefore disabled whenever no load is running (see `docs/failures.md`, re-entrancy).
 */
const loading = new AsyncLocalStorage<LoadFrame>();
let running = 0;
/** The caller's key of each flight begun inside a frame, for naming cycles. */
const keyOf = new WeakMap<Flight, string>();
/** The flights each load waits for: joined by reads made inside its loader (until they settle). */
const waitsFor = new WeakMap<Flight, Set<Flight>>();

/**
 * One load the current code may run inside: a `get`'s key, or a `getMany`'s missing keys. A
 * `get` keeps its key, full key and flight as they are (no arrays of one per pending miss).
 */
class LoadFrame implements SettleListener {
  /** Set when the load has settled: work it left running is no longer inside it. */
  done = false;
  /** The frame the load was started inside, if any. */
  readonly parent: LoadFrame | undefined = loading.getStore();

  constructor(
    /** The single-flight registry of the manager that runs the load (one per manager). */
    readonly owner: object,
    /** The caller's keys of the load (one for `get`, the missing ones for `getMany`). */
    private readonly keys: string | readonly string[],
    private readonly fullKeys: string | readonly string[],
    /** The flights of those keys, read for the lease they hold at the key. */
    private readonly flights: Flight | readonly Flight[],
  ) {
    this.forEachFlight((flight, i) => keyOf.set(flight, this.keyAt(i)));
    running++;
  }

  keyAt(i: number): string {
    return typeof this.keys === 'string' ? this.keys : this.keys[i];
  }

  /** Where `fullKey` is among the load's keys, or -1. */
  indexOfFullKey(fullKey: string): number {
    const { fullKeys } = this;
    if (typeof fullKeys === 'string') return fullKeys === fullKey ? 0 : -1;
    return fullKeys.indexOf(fullKey);
  }

  /** Which of the load's keys holds the lease `marker`, or -1. */
  indexOfLease(marker: string): number {
    const { flights } = this;
    if (!Array.isArray(flights)) return (flights as Flight).lease === marker ? 0 : -1;
    return (flights as readonly Flight[]).findIndex((flight) => flight.lease === marker);
  }

  forEachFlight(each: (flight: Flight, i: number) => void): void {
    const { flights } = this;
    if (Array.isArray(flights)) (flights as readonly Flight[]).forEach(each);
    else each(flights as Flight, 0);
  }

  /** The load as a cycle's message names it: its key, or its keys in brackets. */
  label(): string {
    const { keys } = this;
    if (typeof keys === 'string') return keys;
    return keys.length === 1 ? keys[0] : `[${keys.join(', ')}]`;
  }

  /** The load settled (told by its single-flight registry, or by `insideLoad`'s reaction). */
  settled(): void {
    leave(this);
  }
}

/**
 * Runs `load` as a load of `keys`: reads made inside it (at any depth of awaits) see it.
 * `flights[i]` is the flight of `keys[i]`.
 */
export function insideLoad<R>(
  owner: object,
  keys: readonly string[],
  fullKeys: readonly string[],
  flights: readonly Flight[],
  load: () => Promise<R>,
): Promise<R> {
  const frame = new LoadFrame(owner, keys, fullKeys, flights);
  const result = run(frame, load);
  const end = (): void => {
    leave(frame);
  };
  result.then(end, end);
  return result;
}

/**
 * `insideLoad` for the one key of `flight`, whose single-flight registry watches the load
 * anyway: the frame is left when the registry tells the flight it settled, without a reaction
 * of its own (one promise, one reaction and a closure less per pending miss).
 */
export function insideFlight<R>(
  owner: object,
  key: string,
  fullKey: string,
  flight: Flight,
  load: () => Promise<R>,
): Promise<R> {
  const frame = new LoadFrame(owner, key, fullKey, flight);
  const result = run(frame, load);
  flight.listener = frame;
  return result;
}

/** Runs `load` inside `frame`; a synchronous throw leaves the frame at once. */
function run<R>(frame: LoadFrame, load: () => Promise<R>): Promise<R> {
  try {
    return loading.run(frame, load);
  } catch (error) {
    leave(frame);
    throw error;
  }
}

function leave(frame: LoadFrame): void {
  frame.done = true;
  running--;
  // Nothing loads any more: stop carrying the store on every promise (async-hooks based Node).
  if (running === 0) loading.disable();
}

/**
 * The cycle a read of `fullKey` would close, outermost key first and `key` last, or undefined
 * when the read is not inside a load of that key. A load of the same manager matches by key;
 * a load of any manager matches when the read saw its lease at the key (`leaseSeen`), so two
 * managers over the same keys are caught too. A load that has settled ends the chain: work it
 * left running in the background is not waited for by anyone.
 */
export function cycleClosedBy(
  owner: object,
  key: string,
  fullKey: string,
  leaseSeen?: string,
): string[] | undefined {
  const between: string[] = [];
  for (let frame = loading.getStore(); frame !== undefined; frame = frame.parent) {
    if (frame.done) return undefined;
    const byKey = frame.owner === owner ? frame.indexOfFullKey(fullKey) : -1;
    const at = byKey >= 0 || leaseSeen === undefined ? byKey : frame.indexOfLease(leaseSeen);
    if (at >= 0) return [frame.keyAt(at), ...between.reverse(), key];
    between.push(frame.label());
  }
  return undefined;
}

/** The loads the current code runs inside, outermost first (up to the first settled one). */
function chain(): LoadFrame[] {
  const frames: LoadFrame[] = [];
  for (let frame = loading.getStore(); frame !== undefined && !frame.done; frame = frame.parent)
    frames.unshift(frame);
  return frames;
}

/**
 * The cycle that joining `target` (a load of `key` in flight) would close across calls, or
 * undefined: `target` waits, through loads that joined others, for a load the current code runs
 * inside. Two calls whose loaders each read the other's key at once would otherwise wait for
 * each other forever.
 */
export function cycleThroughJoin(target: Flight, key: string): string[] | undefined {
  const frames = chain();
  if (frames.length === 0) return undefined;
  const inChain = new Map<Flight, number>();
  frames.forEach((frame, depth) => {
    frame.forEachFlight((flight) => inChain.set(flight, depth));
  });
  // Depth-first from the target along "waits for" edges, keeping the path for the message.
  const seen = new Set<Flight>();
  const path: Flight[] = [];
  const reach = (flight: Flight): Flight | undefined => {
    if (inChain.has(flight)) return flight;
    if (seen.has(flight)) return undefined;
    seen.add(flight);
    path.push(flight);
    for (const next of waitsFor.get(flight) ?? []) {
      const found = reach(next);
      if (found !== undefined) return found;
    }
    path.pop();
    return undefined;
  };
  const closing = reach(target);
  if (closing === undefined) return undefined;
  const depth = inChain.get(closing) ?? 0;
  const first = keyOf.get(closing) ?? frames[depth].label();
  const below = frames.slice(depth + 1).map((frame) => frame.label());
  const across = path.slice(1).map((flight) => keyOf.get(flight) ?? '?');
  return [first, ...below, key, ...across, first];
}

/** Notes that the loads the current code runs inside wait for `target` until `joined` settles. */
export function noteJoin(target: Flight, joined: Promise<unknown>): void {
  const frame = loading.getStore();
  if (frame === undefined || frame.done) return;
  frame.forEachFlight((flight) => {
    let targets = waitsFor.get(flight);
    if (targets === undefined) waitsFor.set(flight, (targets = new Set()));
    targets.add(target);
  });
  const done = (): void => {
    frame.forEachFlight((flight) => waitsFor.get(flight)?.delete(target));
  };
  joined.then(done, done);
}
