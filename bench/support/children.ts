import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Every child the bench started and has not reaped yet, so an interrupted run can stop them. */
const running = new Set<ChildProcess>();

export function killChildren(): void {
  for (const child of running)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Lines a worker means for the parent start with this; anything else a library prints is ignored. */
export const MESSAGE_MARK = '@@bench ';

export type WorkerReply = { ok: true; [field: string]: unknown } | { ok: false; reason: string };

/**
 * A bench script run in its own Node process under tsx (the parent's own loader flags), talked to
 * one JSON request per line on stdin, one reply per line on stdout, in order.
 */
export class BenchWorker {
  private readonly child: ChildProcess;
  private readonly waiting: Array<(reply: WorkerReply) => void> = [];
  private stderrTail = '';

  constructor(script: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, [...process.execArgv, join(__dirname, '..', script)], {
      cwd: join(__dirname, '..', '..'),
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    running.add(this.child);
    this.child.once('exit', (code, signal) => {
      running.delete(this.child);
      for (const resolve of this.waiting.splice(0)) {
        resolve({
          ok: false,
          reason: `worker exited (${signal ?? code}): ${this.stderrTail.trim().split('\n').pop() ?? ''}`,
        });
      }
    });
    this.child.stderr!.on(
      'data',
      (chunk: Buffer) => (this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000)),
    );
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      if (!line.startsWith(MESSAGE_MARK)) return;
      this.waiting.shift()?.(JSON.parse(line.slice(MESSAGE_MARK.length)) as WorkerReply);
    });
  }

  /** Sends a request; the reply comes back in order. Resolves with a failure if the worker dies. */
  request(message: Record<string, unknown>): Promise<WorkerReply> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        resolve({ ok: false, reason: 'worker is not running' });
        return;
      }
      this.waiting.push(resolve);
      this.child.stdin!.write(`${JSON.stringify(message)}\n`);
    });
  }

  /** Asks the worker to exit, then makes sure it did. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}
