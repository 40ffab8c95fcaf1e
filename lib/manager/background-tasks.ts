/**
 * Writes the manager sends without making a caller wait for them (stores after a load, lease
 * releases, refreshes). Kept so that `settle()` and `close()` can wait for them; each task is
 * forgotten as soon as it settles, and none ever rejects (each reports its own failure).
 */
export class BackgroundTasks {
  private readonly tasks = new Set<Promise<unknown>>();

  get size(): number {
    return this.tasks.size;
  }

  track(task: Promise<unknown>): void {
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task));
  }

  /** Resolves when every task, including ones started meanwhile, has settled. */
  async settle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }
}
