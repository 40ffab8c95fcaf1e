/**
 * The exit codes of `cache-aside`, documented in docs/cli.md so scripts can branch on them.
 * They never change meaning between versions: a new situation gets a new number.
 */
export const ExitCode = {
  /** The command did what it was asked. */
  Ok: 0,
  /** Nothing to show or do: no key at `inspect`, no key matched `ls` / `invalidate`. */
  NotFound: 1,
  /** The command line is wrong (unknown option, missing argument, malformed --url). */
  Usage: 2,
  /** Redis could not be reached or refused us (connection, TLS, authentication, timeout). */
  Connection: 3,
  /** `inspect`: the key holds a value the library cannot read (not ours, corrupt, another format). */
  NotAnEntry: 4,
  /** Redis failed part-way through a command: the result is incomplete (e.g. an invalidation). */
  Incomplete: 5,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the tool reports as one line on stderr, ending the run with `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}
