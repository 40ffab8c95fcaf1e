/**
 * The soak's "database": one version per key, held by the orchestrator. A load answers the
 * current versions; a write locks its keys (one write per key at a time, so acknowledged
 * versions of a key only grow), bumps them, and unlocks when the worker reports its cache
 * operation done. Loads are counted per key for the stampede figures.
 */
export class VersionDatabase {
  private readonly versions = new Map<string, number>();
  private readonly locked = new Set<string>();
  readonly loadsPerKey = new Map<string, number>();
  loaderCalls = 0;

  load(keys: readonly string[]): number[] {
    this.loaderCalls++;
    return keys.map((key) => {
      this.loadsPerKey.set(key, (this.loadsPerKey.get(key) ?? 0) + 1);
      return this.versions.get(key) ?? 0;
    });
  }

  /** New versions of `keys`, or null when another write holds one of them. */
  beginWrite(keys: readonly string[]): number[] | null {
    if (keys.some((key) => this.locked.has(key))) return null;
    return keys.map((key) => {
      this.locked.add(key);
      const next = (this.versions.get(key) ?? 0) + 1;
      this.versions.set(key, next);
      return next;
    });
  }

  endWrite(keys: readonly string[]): void {
    for (const key of keys) this.locked.delete(key);
  }
}
