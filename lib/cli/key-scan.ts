import type { Redis } from 'ioredis';
import { usage } from './cli-options';

/** One SCAN step on one master: the keys it returned and where to resume after them. */
export interface ScanStep {
  readonly node: Redis;
  readonly keys: readonly string[];
  /** Resumes after this step; undefined once every master has been scanned to the end. */
  readonly cursor: string | undefined;
}

/**
 * SCAN with MATCH over every master in turn (never KEYS), one step at a time, so callers hold
 * one batch of keys at most. The cursor is `<master index>-<SCAN cursor>`: masters are sorted,
 * so it resumes on the same node in the next run of the tool.
 */
export async function* scanKeys(
  masters: readonly Redis[],
  match: string,
  from: string | undefined,
  count: number,
): AsyncGenerator<ScanStep> {
  let [index, cursor] = from === undefined ? [0, '0'] : parseCursor(from, masters.length);
  for (; index < masters.length; index++, cursor = '0') {
    const node = masters[index];
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', count);
      cursor = next;
      const last = cursor === '0' && index === masters.length - 1;
      yield {
        node,
        keys,
        cursor: last ? undefined : cursor === '0' ? `${index + 1}-0` : `${index}-${cursor}`,
      };
    } while (cursor !== '0');
  }
}

function parseCursor(text: string, masters: number): [number, string] {
  const match = /^(\d+)-(\d+)$/.exec(text);
  if (!match || Number(match[1]) >= masters) {
    throw usage(`--cursor "${text}" is not a cursor printed by ls against this server`);
  }
  return [Number(match[1]), match[2]];
}
