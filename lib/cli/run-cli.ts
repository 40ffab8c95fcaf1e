import type { CliIo } from './cli-io';
import { parseCliOptions, usage, type CommandName } from './cli-options';
import type { Command } from './command-context';
import { CliError, ExitCode } from './exit-code';
import { HELP_TEXT } from './help-text';
import { inspectCommand } from './inspect-command';
import { invalidateCommand } from './invalidate-command';
import { invalidateTagsCommand } from './invalidate-tags-command';
import { lsCommand } from './ls-command';
import { maskedUrl, withoutSecret } from './masked-url';
import { connectionError, connectRedis } from './redis-connection';
import { statsCommand } from './stats-command';

const COMMAND_RUNNERS: Record<CommandName, Command> = {
  inspect: inspectCommand,
  ls: lsCommand,
  stats: statsCommand,
  invalidate: invalidateCommand,
  'invalidate-tags': invalidateTagsCommand,
};

/**
 * One run of `cache-aside`: parse, connect, run the command, close. Resolves with the exit
 * code and never throws: every failure is one line on stderr (passwords masked).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let password: string | undefined;
  try {
    const options = parseCliOptions(argv, io.env);
    password = passwordOf(options.url);
    if (options.help) {
      io.stdout(HELP_TEXT);
      return ExitCode.Ok;
    }
    if (options.command === undefined) throw usage('give a command');
    const redis = await connectRedis(options);
    try {
      return await COMMAND_RUNNERS[options.command]({ options, io, redis });
    } catch (error) {
      if (error instanceof CliError) throw error;
      // A Redis failure after connecting (the server went away, ACL refused a command).
      throw connectionError(error, maskedUrl(options.url), password);
    } finally {
      await redis.close();
    }
  } catch (error) {
    const failure =
      error instanceof CliError
        ? error
        : new CliError(
            `[cache-aside] unexpected failure: ${error instanceof Error ? error.message : String(error)}`,
            ExitCode.Incomplete,
          );
    io.stderr(`${withoutSecret(failure.message, password)}\n`);
    return failure.exitCode;
  }
}

function passwordOf(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}
