import type { CliIo } from './cli-io';
import type { CliOptions } from './cli-options';
import type { ExitCode } from './exit-code';
import type { RedisConnection } from './redis-connection';

/** What every command gets: the parsed command line, where to write, and the connection. */
export interface CommandContext {
  readonly options: CliOptions;
  readonly io: CliIo;
  readonly redis: RedisConnection;
}

/** A command: runs, writes its output, resolves with the exit code. */
export type Command = (context: CommandContext) => Promise<ExitCode>;

/** Writes one JSON document (a line, so output of several runs can be concatenated). */
export function writeJson(io: CliIo, document: unknown): void {
  io.stdout(`${JSON.stringify(document)}\n`);
}

/** Writes lines of text. */
export function writeLines(io: CliIo, lines: readonly string[]): void {
  if (lines.length > 0) io.stdout(`${lines.join('\n')}\n`);
}

/** The pattern a user typed (relative to the prefix) as SCAN MATCH sees it. */
export function displayKey(fullKey: string, prefix: string): string {
  return fullKey.startsWith(prefix) ? fullKey.slice(prefix.length) : fullKey;
}
