import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { CliIo } from '../../../lib/cli/cli-io';
import { runCli } from '../../../lib/cli/run-cli';

/** What one in-process run of the tool printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
}

/** Runs `cache-aside <argv>` in this process, capturing both streams (stderr is not a TTY). */
export async function runCaptured(
  argv: readonly string[],
  env: Record<string, string> = {},
): Promise<CliRun> {
  const out: Buffer[] = [];
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => out.push(Buffer.isBuffer(text) ? text : Buffer.from(text)),
    stderr: (text) => (stderr += text),
    stderrIsTty: false,
    env,
  };
  const code = await runCli(argv, io);
  const stdoutBytes = Buffer.concat(out);
  return { code, stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr };
}

const BIN = join(__dirname, '../../../lib/cli/bin.ts');

/**
 * Runs the launcher as a real child process (TypeScript through tsx's loader), bounded in time.
 * `REDIS_URL` and `NODE_EXTRA_CA_CERTS` of the test process are cleared: a run sees only `env`.
 */
export function runProcess(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], {
      env: { ...process.env, REDIS_URL: '', NODE_EXTRA_CA_CERTS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Polls until a check passes (bounded: fails the test after `timeoutMs`). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
