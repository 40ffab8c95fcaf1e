import { openCliManager } from './cli-manager';
import { usage } from './cli-options';
import { displayKey, writeJson, writeLines, type CommandContext } from './command-context';
import { escapeGlob } from './entry-layout';
import { CliError, ExitCode } from './exit-code';
import { scanKeys } from './key-scan';
import { ProgressBar } from './progress-bar';

/** True when an argument is a glob (an unescaped `*`, `?` or `[`) rather than one key. */
export function isPattern(argument: string): boolean {
  return /(^|[^\\])(\\\\)*[*?[]/.test(argument);
}

/**
 * `invalidate <key|pattern...>`: through a CacheAsideManager, so it is the library's own
 * invalidation. Keys go in one call. A pattern is scanned here, a step at a time, each step's
 * keys invalidated as one batch (that is what the progress bar counts); then the manager's own
 * pattern invalidation runs once more, which catches keys written meanwhile and tells the L1
 * buses the pattern itself. `--dry-run` lists what exists and would go, and removes nothing.
 */
export async function invalidateCommand({ options, io, redis }: CommandContext): Promise<ExitCode> {
  if (options.args.length === 0) throw usage('invalidate takes one or more keys or patterns');
  const keys = options.args.filter((arg) => !isPattern(arg));
  const patterns = options.args.filter(isPattern);
  const masters = redis.masters();
  const total = (await Promise.all(masters.map((node) => node.dbsize()))).reduce(
    (a, b) => a + b,
    0,
  );
  const progress = new ProgressBar(
    (text) => {
      io.stderr(text);
    },
    options.progress || io.stderrIsTty,
    options.dryRun ? 'matching' : 'invalidating',
  );
  const listed: string[] = [];
  const list = (fullKeys: readonly string[]): void => {
    for (const fullKey of fullKeys) {
      const key = displayKey(fullKey, options.prefix);
      if (options.json) listed.push(key);
      else io.stdout(`${key}\n`);
    }
  };

  if (options.dryRun) {
    let count = 0;
    if (keys.length > 0) {
      const existing = await Promise.all(
        keys.map((key) => redis.client.exists(options.prefix + key)),
      );
      const found = keys.filter((_, i) => existing[i] === 1).map((key) => options.prefix + key);
      list(found);
      count += found.length;
    }
    let steps = 0;
    for (const pattern of patterns) {
      for await (const step of scanKeys(
        masters,
        escapeGlob(options.prefix) + pattern,
        undefined,
        options.scanCount,
      )) {
        list(step.keys);
        count += step.keys.length;
        progress.update(count, fraction(++steps * options.scanCount, total));
      }
    }
    progress.finish(count);
    if (options.json) writeJson(io, { dryRun: true, count, keys: listed });
    else writeLines(io, [`(dry run: ${count} keys would be invalidated; nothing was removed)`]);
    return count === 0 ? ExitCode.NotFound : ExitCode.Ok;
  }

  const cli = openCliManager(redis, options.prefix);
  let count = 0;
  try {
    if (keys.length > 0) count += await cli.manager.invalidate(keys);
    let steps = 0;
    for (const pattern of patterns) {
      for await (const step of scanKeys(
        masters,
        escapeGlob(options.prefix) + pattern,
        undefined,
        options.scanCount,
      )) {
        if (step.keys.length > 0) {
          count += await cli.manager.invalidate(
            step.keys.map((fullKey) => displayKey(fullKey, options.prefix)),
          );
        }
        progress.update(count, fraction(++steps * options.scanCount, total));
      }
      count += await cli.manager.invalidatePattern(pattern);
    }
    progress.finish(count);
  } finally {
    await cli.close();
  }
  if (cli.failures.length > 0) {
    throw new CliError(
      `[cache-aside] Redis failed during the invalidation (${cli.failures[0]}); ` +
        `${count} keys were removed before it: run the command again.`,
      ExitCode.Incomplete,
    );
  }
  if (options.json) writeJson(io, { invalidated: count });
  else writeLines(io, [`invalidated ${count} keys`]);
  return count === 0 ? ExitCode.NotFound : ExitCode.Ok;
}

/** SCAN looks at about COUNT keys a step whatever MATCH keeps: a fair estimate of the way done. */
function fraction(looked: number, total: number): number {
  return total === 0 ? 1 : Math.min(0.99, looked / total);
}
