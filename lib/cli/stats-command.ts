import { usage } from './cli-options';
import { writeJson, writeLines, type CommandContext } from './command-context';
import { escapeGlob } from './entry-layout';
import { ExitCode } from './exit-code';
import { formatDuration } from './freshness';
import { readKeyFacts } from './key-facts';
import { scanKeys } from './key-scan';
import { NamespaceStats } from './namespace-stats';
import { ProgressBar } from './progress-bar';

/**
 * `stats [pattern]`: per-namespace figures from one streaming pass — each SCAN step's keys are
 * read in one pipeline (PTTL, STRLEN, the head) and folded into tallies, then dropped, so
 * memory stays flat however large the keyspace.
 */
export async function statsCommand({ options, io, redis }: CommandContext): Promise<ExitCode> {
  if (options.args.length > 1) throw usage('stats takes at most one pattern');
  const match = escapeGlob(options.prefix) + (options.args[0] ?? '*');
  const masters = redis.masters();
  const sizes = await Promise.all(masters.map((node) => node.dbsize()));
  const total = sizes.reduce((sum, n) => sum + n, 0);
  const progress = new ProgressBar(
    (text) => {
      io.stderr(text);
    },
    options.progress || io.stderrIsTty,
    'scanning',
  );
  const stats = new NamespaceStats(options.prefix);
  let seen = 0;
  let steps = 0;
  for await (const step of scanKeys(masters, match, undefined, options.scanCount)) {
    steps++;
    const now = Date.now();
    for (const facts of await readKeyFacts(step.node, step.keys)) stats.add(facts, now);
    seen += step.keys.length;
    // SCAN visits about COUNT keys a step whatever MATCH keeps: a fair estimate of the way done.
    progress.update(seen, total === 0 ? 1 : Math.min(0.99, (steps * options.scanCount) / total));
  }
  progress.finish(seen);
  const summaries = stats.summaries();
  if (options.json) {
    writeJson(io, { namespaces: summaries });
  } else if (summaries.length === 0) {
    writeLines(io, [`no keys match "${options.args[0] ?? '*'}" under prefix "${options.prefix}"`]);
  } else {
    const width = Math.min(40, Math.max(9, ...summaries.map((s) => s.namespace.length)));
    const header = [
      'NAMESPACE'.padEnd(width),
      'ENTRIES',
      'BYTES',
      'STALE',
      'TTL P50',
      'LEASES',
      'UNDECODABLE',
    ];
    writeLines(io, [
      header.map((cell, i) => (i === 0 ? cell : cell.padStart(11))).join(' '),
      ...summaries.map((s) =>
        [
          s.namespace.padEnd(width),
          String(s.entries),
          formatBytes(s.bytes),
          `${(s.staleFraction * 100).toFixed(1)}%`,
          s.ttlP50Ms === null ? 'none' : formatDuration(s.ttlP50Ms),
          String(s.leases),
          String(s.undecodable),
        ]
          .map((cell, i) => (i === 0 ? cell : cell.padStart(11)))
          .join(' '),
      ),
    ]);
  }
  return ExitCode.Ok;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
