import { spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * Every sample finishes, and exits by itself, whatever Redis does: here REDIS_URL names a port
 * nothing listens on. Before, the demo failed at step 5 and then never exited (ioredis
 * reconnected forever, printing "[ioredis] Unhandled error event" on every attempt).
 */
const root = join(__dirname, '..', '..', '..');
const EXIT_BOUND_MS = 45_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  ms: number;
}

function runSample(file: string): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), file],
      {
        cwd: root,
        env: { ...process.env, REDIS_URL: 'redis://127.0.0.1:1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_BOUND_MS);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, ms: Date.now() - started });
    });
  });
}

const STORIES = [
  'samples/01-quick-start.ts',
  'samples/02-repository.ts',
  'samples/03-typed-entities.ts',
];
const POSTGRES_SAMPLE = 'samples/04-postgres-repository.ts';

describe('samples with Redis unreachable', () => {
  // The four samples run side by side (each is a process of its own, ~5 s, mostly compiling):
  // one after the other they took ~23 s of CI.
  const runs = new Map<string, Promise<Run>>();
  beforeAll(() => {
    for (const file of [...STORIES, POSTGRES_SAMPLE]) runs.set(file, runSample(file));
  });
  afterAll(() => Promise.allSettled(runs.values()));

  it.each(STORIES)(
    '%s completes its story from the loader and exits with code 0',
    async (file) => {
      const run = await runs.get(file)!;
      expect(run.signal).toBeNull(); // not killed at the bound: it exited by itself
      expect(run.output).not.toContain('Unhandled error event');
      expect(run.code).toBe(0);
      expect(run.ms).toBeLessThan(EXIT_BOUND_MS);
    },
    EXIT_BOUND_MS + 15_000,
  );

  it(
    'samples/04-postgres-repository.ts exits by itself too (PostgreSQL from DATABASE_URL or the default)',
    async () => {
      const run = await runs.get(POSTGRES_SAMPLE)!;
      expect(run.signal).toBeNull();
      expect(run.output).not.toContain('Unhandled error event');
      // Without PostgreSQL the sample says so and exits 1; either way it exits.
      if (run.code !== 0) expect(run.output).toContain('This sample needs PostgreSQL');
    },
    EXIT_BOUND_MS + 15_000,
  );
});
