/**
 * A one-line progress bar on stderr, redrawn at most every 100 ms. Drawn only when asked (a
 * terminal, or --progress): output that is piped or captured stays free of carriage returns.
 */
export class ProgressBar {
  private lastDraw = -Infinity;
  private drawn = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly enabled: boolean,
    private readonly label: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** @param fraction 0..1 of the work, or undefined when unknown. */
  update(done: number, fraction: number | undefined, force = false): void {
    if (!this.enabled) return;
    const now = this.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.drawn = true;
    this.write(`\r${render(this.label, done, fraction)}\x1b[K`);
  }

  /** Leaves the last state on its own line. */
  finish(done: number): void {
    if (!this.enabled) return;
    this.update(done, 1, true);
    if (this.drawn) this.write('\n');
  }
}

const WIDTH = 30;

export function render(label: string, done: number, fraction: number | undefined): string {
  if (fraction === undefined) return `${label}: ${done} keys`;
  const bounded = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(bounded * WIDTH);
  const bar = '#'.repeat(filled) + '-'.repeat(WIDTH - filled);
  return `${label} [${bar}] ${String(Math.floor(bounded * 100)).padStart(3)}% ${done} keys`;
}
