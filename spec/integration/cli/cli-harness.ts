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

/** Polls until a check passes (bounded: fails the test after `timeoutMs`). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
