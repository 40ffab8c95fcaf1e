import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { sleep } from './clock';
import type { VersionDatabase } from './database';
import type { FromWorker, ToWorker, WorkerFinal, WorkerSetup } from './messages';
import type { Oracle } from './oracle';

/** The orchestrator's handle on one worker process. */
export interface WorkerHandle {
  readonly index: number;
  readonly pid: number;
  final?: WorkerFinal;
  /** Set when the process ended before sending its final report (crash, kill, exit code). */
  crashed?: string;
  unhandled: string[];
  ready: boolean;
}

const WORKER_SCRIPT = join(__dirname, 'worker.ts');

/**
 * Forks the workers (TypeScript through tsx's loader, with --expose-gc so heap figures are after
 * a collection) and answers their database requests; reads and acknowledgements go to the oracle.
 */
export class WorkerPool {
  readonly workers: WorkerHandle[] = [];
  private readonly children: ChildProcess[] = [];

  /** Soak-clock time traffic started; until set, reconnects are not logged. */
  origin: number | undefined;

  constructor(
    private readonly database: VersionDatabase,
    private readonly oracle: Oracle,
    private readonly print: (line: string) => void,
  ) {}

  spawn(setups: readonly WorkerSetup[]): void {
    for (const setup of setups) {
      const child = fork(WORKER_SCRIPT, [], {
        execArgv: ['--expose-gc', '--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const handle: WorkerHandle = {
        index: setup.index,
        pid: child.pid ?? 0,
        unhandled: [],
        ready: false,
      };
      this.workers.push(handle);
      this.children.push(child);
      child.on('message', (message: FromWorker) => {
        this.onMessage(child, handle, message);
      });
      child.on('exit', (code, signal) => {
        if (!handle.final)
          handle.crashed = `exited (${signal ?? `code ${String(code)}`}) before its final report`;
      });
      child.on('error', (error) => {
        handle.crashed = `process error: ${error.message}`;
      });
      this.send(child, { type: 'setup', setup });
    }
  }

  /** Resolves once every worker is ready, bounded by `timeoutMs`. */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.workers.every((w) => w.ready)) {
      if (this.workers.some((w) => w.crashed) || Date.now() > deadline)
        throw new Error('[cache-aside soak] a worker did not start; see its output above');
      await sleep(50);
    }
  }

  broadcast(message: ToWorker): void {
    for (const child of this.children) this.send(child, message);
  }

  /** Asks every worker to stop and waits (bounded) for their final reports. */
  async finish(timeoutMs: number): Promise<void> {
    this.broadcast({ type: 'stop' });
    const deadline = Date.now() + timeoutMs;
    while (!this.workers.every((w) => w.final ?? w.crashed)) {
      if (Date.now() > deadline) {
        for (const w of this.workers)
          if (!w.final && !w.crashed) w.crashed = `no final report within ${timeoutMs} ms`;
        break;
      }
      await sleep(50);
    }
  }

  /** SIGKILL, by PID, every worker still running. */
  killAll(): void {
    for (const child of this.children)
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
  }

  private send(child: ChildProcess, message: ToWorker): void {
    if (child.connected) child.send(message);
  }

  private onMessage(child: ChildProcess, handle: WorkerHandle, message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        handle.ready = true;
        break;
      case 'load':
        this.send(child, {
          type: 'loaded',
          id: message.id,
          versions: this.database.load(message.keys),
        });
        break;
      case 'write-begin':
        this.send(child, {
          type: 'write-granted',
          id: message.id,
          versions: this.database.beginWrite(message.keys),
        });
        break;
      case 'write-end':
        this.oracle.recordAcks(message.acks);
        this.database.endWrite(message.keys);
        break;
      case 'reads':
        this.oracle.recordReads(message.reads);
        break;
      case 'unhandled':
        handle.unhandled.push(message.what);
        this.print(`worker ${handle.index}: ${message.what}`);
        break;
      case 'client-ready':
        if (this.origin !== undefined)
          this.print(
            `        worker ${handle.index} client ready again at ` +
              `${((message.at - this.origin) / 1000).toFixed(2).padStart(7)} s`,
          );
        break;
      case 'final':
        handle.final = message.final;
        break;
    }
  }
}
