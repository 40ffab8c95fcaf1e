import { usage } from './cli-options';
import { displayKey, writeJson, writeLines, type CommandContext } from './command-context';
import { escapeGlob } from './entry-layout';
import { ExitCode } from './exit-code';
import { formatPttl, freshnessOf } from './freshness';
import { readKeyFacts, type KeyFacts } from './key-facts';
import { scanKeys } from './key-scan';

/**
 * `ls [pattern]`: one page of matching keys with size, TTL and state. SCAN steps are taken until
 * the page holds at least --limit keys (a step is never split, so a page may hold a few more);
 * the cursor printed continues after it.
 */
export async function lsCommand({ options, io, redis }: CommandContext): Promise<ExitCode> {
  if (options.args.length > 1) throw usage('ls takes at most one pattern');
  const match = escapeGlob(options.prefix) + (options.args[0] ?? '*');
  const rows: KeyFacts[] = [];
  let cursor: string | undefined;
  for await (const step of scanKeys(redis.masters(), match, options.cursor, options.scanCount)) {
    for (const facts of await readKeyFacts(step.node, step.keys)) {
      if (facts.pttl !== -2) rows.push(facts);
    }
    cursor = step.cursor;
    if (rows.length >= options.limit) break;
  }
  const now = Date.now();
  const described = rows.map((facts) => ({
    key: displayKey(facts.key, options.prefix),
    size: facts.size,
    pttlMs: facts.pttl,
    state: stateOf(facts, now),
  }));
  if (options.json) {
    writeJson(io, { keys: described, cursor: cursor ?? null });
  } else {
    const width = Math.min(60, Math.max(3, ...described.map((row) => row.key.length)));
    writeLines(io, [
      ...(described.length > 0
        ? [`${'KEY'.padEnd(width)}  ${'SIZE'.padStart(9)}  ${'TTL'.padStart(8)}  STATE`]
        : []),
      ...described.map(
        (row) =>
          `${row.key.padEnd(width)}  ${String(row.size).padStart(9)}  ${formatPttl(row.pttlMs).padStart(8)}  ${row.state}`,
      ),
      cursor === undefined
        ? `(${described.length} keys, end of scan)`
        : `(${described.length} keys; more: --cursor ${cursor})`,
    ]);
  }
  return described.length === 0 && cursor === undefined ? ExitCode.NotFound : ExitCode.Ok;
}

/** fresh / stale / lease / undecodable / wrong-type: what the library would make of the key. */
function stateOf(facts: KeyFacts, now: number): string {
  const head = facts.head;
  if (head.type === 'entry') return freshnessOf(head.freshUntil, facts.pttl, now);
  if (head.type === 'lease') return 'lease';
  return head.type;
}
