/**
 * Where a run writes and what it reads from its surroundings. The launcher passes the process's
 * own streams; specs pass buffers, so every command runs in process as well as from a shell.
 */
export interface CliIo {
  /** Results: text or JSON. */
  stdout(text: string | Buffer): void;
  /** Errors and the progress bar, never results. */
  stderr(text: string): void;
  /** The progress bar draws itself only on a terminal (or with --progress). */
  readonly stderrIsTty: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The process's own streams and environment. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stderrIsTty: process.stderr.isTTY,
    env: process.env,
  };
}
