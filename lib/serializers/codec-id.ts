import { createHash } from 'node:crypto';
import { MAX_CODEC_ID_LENGTH } from './serializer';

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
const HASH_LENGTH = 12;

/**
 * A codec id the envelope can store (1 to 64 printable ASCII characters) built from a wanted id
 * that may not be one — a long or non-ASCII class name, or a wrapper around a long inner id.
 * Such an id keeps a readable prefix and gets a hash of the whole appended, so it stays stable
 * across processes and distinct from other ids.
 */
export function boundedCodecId(wanted: string): string {
  if (wanted.length > 0 && wanted.length <= MAX_CODEC_ID_LENGTH && PRINTABLE_ASCII.test(wanted))
    return wanted;
  const hash = createHash('sha256').update(wanted, 'utf8').digest('hex').slice(0, HASH_LENGTH);

  const readable = wanted
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, MAX_CODEC_ID_LENGTH - HASH_LENGTH - 1);
  return `${readable}#${hash}`;
}
