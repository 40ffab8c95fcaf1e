import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { ResultMessage, WorkerJob, WorkerMessage } from './cold-key-worker';

export type { ResultMessage, WorkerJob } from './cold-key-worker';

const ROOT = resolve(__dirname, '..', '..', '..');
const SCRIPT = join(__dirname, 'cold-key-worker.ts');

/** The parent's handle on one worker process. */
export interface Worker {
  readonly pid: number;
  /** Takes the next message of this type not taken yet (rejects if the process exits first). */
  next<T extends WorkerMessage['type']>(type: T): Promise<Extract<WorkerMessage, { type: T }>>;
  /** Hands over a job; resolves once the worker waits at the barrier. */
  prepare(job: WorkerJob): Promise<void>;
  /** Releases the start barrier. */
  go(): void;
  result(): Promise<ResultMessage>;
  /** Asks the worker to exit and waits for it (bounded; SIGKILL after that). */
  stop(): Promise<number | null>;
  /** SIGKILL. */
  kill(): Promise<void>;
  readonly exited: Promise<number | null>;
}

/**
 * Starts `cold-key-worker.ts` in its own Node process (TypeScript through tsx's loader). Every
 * wait is bounded by `timeoutMs`, so a stuck child fails the test instead of hanging it.
 */
export function spawnWorker(url: string, timeoutMs = 20_000): Worker {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ['--import', 'tsx', SCRIPT, url],
    {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const messages: WorkerMessage[] = [];
  const waiters: Array<() => void> = [];
  let stderr = '';
  let gone = false;
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.on('error', () => undefined);
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      messages.push(JSON.parse(line) as WorkerMessage);
    } catch {
      stderr += `(stdout) ${line}\n`;
    }
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = new Promise<number | null>((resolveExit) => {
    child.once('exit', (code) => {
      gone = true;
      for (const wake of waiters.splice(0)) wake();
      resolveExit(code);
    });
  });

  const next = <T extends WorkerMessage['type']>(
    type: T,
  ): Promise<Extract<WorkerMessage, { type: T }>> =>
    new Promise((resolveMessage, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`worker ${child.pid}: no '${type}' within ${timeoutMs} ms\n${stderr}`)),
        timeoutMs,
      );
      const check = (): void => {
        const index = messages.findIndex((m) => m.type === type);
        if (index >= 0) {
          clearTimeout(timer);
          resolveMessage(messages.splice(index, 1)[0] as Extract<WorkerMessage, { type: T }>);
        } else if (gone) {
          clearTimeout(timer);
          reject(new Error(`worker ${child.pid} exited before '${type}'\n${stderr}`));
        } else {
          waiters.push(check);
        }
      };
      check();
    });

  const kill = async (): Promise<void> => {
    if (!gone) child.kill('SIGKILL');
    await exited;
  };

  return {
    pid: child.pid as number,
    next,
    async prepare(job) {
      // Messages of an earlier job are of no interest any more.
      messages.length = 0;
      child.stdin.write(`${JSON.stringify(job)}\n`);
      await next('ready');
    },
    go: () => child.stdin.write('go\n'),
    result: () => next('result'),
    async stop() {
      if (!gone) child.stdin.write('exit\n');
      const timer = setTimeout(() => void kill(), 5000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    kill,
    exited,
  };
}
