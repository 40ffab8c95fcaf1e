import { openCliManager } from './cli-manager';
import { usage } from './cli-options';
import { writeJson, writeLines, type CommandContext } from './command-context';
import { CliError, ExitCode } from './exit-code';
import { tagVersionKey } from './tag-version-key';

/**
 * `invalidate-tags <tag...>`: the manager's own tag invalidation (each tag's version is removed,
 * so every entry stamped with the old one stops being served, in every slot, and the L1 buses
 * hear it). `--dry-run` shows whether each tag has a live version, i.e. whether any entry can
 * still be served under it, and changes nothing.
 */
export async function invalidateTagsCommand({
  options,
  io,
  redis,
}: CommandContext): Promise<ExitCode> {
  const tags = options.args;
  if (tags.length === 0) throw usage('invalidate-tags takes one or more tags');

  if (options.dryRun) {
    const versions = await Promise.all(
      tags.map((tag) => redis.client.get(tagVersionKey(options.prefix, tag))),
    );
    const states = tags.map((tag, i) => ({ tag, inUse: versions[i] !== null }));
    if (options.json) writeJson(io, { dryRun: true, tags: states });
    else
      writeLines(io, [
        ...states.map(
          ({ tag, inUse }) =>
            `${tag}: ${inUse ? 'in use (entries stamped with it would stop being served)' : 'no live version (nothing to invalidate)'}`,
        ),
        `(dry run: ${states.filter((s) => s.inUse).length} of ${tags.length} tags in use; nothing was changed)`,
      ]);
    return states.some((s) => s.inUse) ? ExitCode.Ok : ExitCode.NotFound;
  }

  const cli = openCliManager(redis, options.prefix);
  let count: number;
  try {
    count = await cli.manager.invalidateTags(tags);
  } finally {
    await cli.close();
  }
  if (cli.failures.length > 0) {
    throw new CliError(
      `[cache-aside] Redis failed during the tag invalidation (${cli.failures[0]}): run the command again.`,
      ExitCode.Incomplete,
    );
  }
  if (options.json) writeJson(io, { invalidatedTags: count });
  else writeLines(io, [`invalidated ${count} tags`]);
  return ExitCode.Ok;
}
