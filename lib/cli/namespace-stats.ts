import type { KeyFacts } from './key-facts';
import { TtlHistogram } from './ttl-histogram';

/** The figures `stats` prints for one namespace. */
export interface NamespaceSummary {
  readonly namespace: string;
  /** Keys seen: entries, loads in flight and undecodable values. */
  readonly keys: number;
  /** Entries of this format. */
  readonly entries: number;
  readonly bytes: number;
  /** Entries past their fresh-until, alive only for grace: 0..1 (0 without entries). */
  readonly staleFraction: number;
  /** Median ms left of Redis TTL among keys that expire; null when none does. */
  readonly ttlP50Ms: number | null;
  readonly leases: number;
  readonly undecodable: number;
}

/** Namespaces kept apart; past this many, the rest are counted together (memory stays bounded). */
export const MAX_NAMESPACES = 1000;
export const OTHER_NAMESPACE = '(other)';

class Tally {
  keys = 0;
  entries = 0;
  bytes = 0;
  stale = 0;
  leases = 0;
  undecodable = 0;
  readonly ttl = new TtlHistogram();
}

/**
 * Folds key facts into per-namespace tallies as a scan streams by: a key's namespace is the part
 * after the prefix up to the first `:` (the whole key when it has none). Holds only the tallies.
 */
export class NamespaceStats {
  private readonly tallies = new Map<string, Tally>();

  constructor(
    private readonly prefix: string,
    private readonly maxNamespaces = MAX_NAMESPACES,
  ) {}

  add(facts: KeyFacts, now: number): void {
    if (facts.pttl === -2) return; // expired or removed since the scan saw it
    const tally = this.tallyOf(namespaceOf(facts.key.slice(this.prefix.length)));
    tally.keys++;
    tally.bytes += facts.size;
    if (facts.pttl >= 0) tally.ttl.add(facts.pttl);
    const head = facts.head;
    if (head.type === 'lease') tally.leases++;
    else if (head.type === 'entry') {
      tally.entries++;
      if (now >= head.freshUntil) tally.stale++;
    } else tally.undecodable++;
  }

  /** Namespaces by name, `(other)` last. */
  summaries(): NamespaceSummary[] {
    return [...this.tallies.entries()]
      .sort(([a], [b]) =>
        a === OTHER_NAMESPACE ? 1 : b === OTHER_NAMESPACE ? -1 : a < b ? -1 : a > b ? 1 : 0,
      )
      .map(([namespace, t]) => ({
        namespace,
        keys: t.keys,
        entries: t.entries,
        bytes: t.bytes,
        staleFraction: t.entries === 0 ? 0 : t.stale / t.entries,
        ttlP50Ms: roundOrNull(t.ttl.quantile(0.5)),
        leases: t.leases,
        undecodable: t.undecodable,
      }));
  }

  private tallyOf(namespace: string): Tally {
    let tally = this.tallies.get(namespace);
    if (tally) return tally;
    const name = this.tallies.size >= this.maxNamespaces ? OTHER_NAMESPACE : namespace;
    tally = this.tallies.get(name) ?? new Tally();
    this.tallies.set(name, tally);
    return tally;
  }
}

export function namespaceOf(relativeKey: string): string {
  const colon = relativeKey.indexOf(':');
  return colon === -1 ? relativeKey : relativeKey.slice(0, colon);
}

function roundOrNull(ms: number | undefined): number | null {
  return ms === undefined ? null : Math.round(ms);
}
