import type { Redis } from 'ioredis';
import { classifyHead, HEAD_READ_LENGTH, type HeadClass } from './entry-head';

/** What a scan learns of one key without reading its value. */
export interface KeyFacts {
  readonly key: string;
  /** Redis PTTL: ms left, -1 no expiry, -2 gone since the scan saw it. */
  readonly pttl: number;
  /** Stored bytes (STRLEN). */
  readonly size: number;
  /** Lease, entry (with its fresh-until) or undecodable; `wrong-type` for a non-string key. */
  readonly head: HeadClass | { readonly type: 'wrong-type' };
}

/**
 * PTTL, STRLEN and GETRANGE of the head for a batch of keys, in one pipeline to the master that
 * holds them (the keys of one SCAN step): three commands a key, one round trip a batch.
 */
export async function readKeyFacts(node: Redis, keys: readonly string[]): Promise<KeyFacts[]> {
  if (keys.length === 0) return [];
  const pipeline = node.pipeline();
  for (const key of keys) {
    pipeline.pttl(key);
    pipeline.strlen(key);
    pipeline.getrangeBuffer(key, 0, HEAD_READ_LENGTH - 1);
  }
  const replies = (await pipeline.exec()) ?? [];
  return keys.map((key, i) => {
    const [pttlError, pttl] = replies[i * 3] ?? [];
    const [sizeError, size] = replies[i * 3 + 1] ?? [];
    const [headError, head] = replies[i * 3 + 2] ?? [];
    if (pttlError) throw pttlError;
    if (sizeError || headError) {
      const error = (sizeError ?? headError) as Error;
      if (!error.message.startsWith('WRONGTYPE')) throw error;
      return { key, pttl: pttl as number, size: 0, head: { type: 'wrong-type' } };
    }
    return {
      key,
      pttl: pttl as number,
      size: size as number,
      head: classifyHead(head as Buffer, size as number),
    };
  });
}
