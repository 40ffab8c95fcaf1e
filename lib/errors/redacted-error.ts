/**
 * A copy of an error that is safe to log: what a `CacheError` carries as `cause` when the
 * original came from Redis, a client library or a decoder. Those originals can hold what must
 * never reach a log: ioredis attaches the failed command with its arguments (an AUTH password, a
 * whole stored entry), and `JSON.parse` quotes the bytes it could not read.
 *
 * Kept: the name, a short `code` (`ECONNREFUSED`, `NOPERM`…), and the message up to its first
 * quote (Redis and V8 quote what they echo of their input), printable and bounded. Dropped:
 * every other property, and the message past that point. Stack frames (code locations) stay.
 */
export class RedactedError extends Error {
  override readonly name: string;
  readonly code?: string;

  constructor(original: unknown, depth = 0) {
    const source = original instanceof Error ? original : undefined;
    const cause =
      source?.cause !== undefined && depth < MAX_CAUSE_DEPTH
        ? new RedactedError(source.cause, depth + 1)
        : undefined;
    super(source ? safeMessage(source.message) : `a thrown ${typeOf(original)}`, { cause });
    this.name = source ? safeMessage(source.name) || 'Error' : 'Error';
    const code = (source as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && SAFE_CODE.test(code)) this.code = code;
    this.stack = `${this.name}: ${this.message}\n${framesOf(source?.stack)}`;
  }
}

const MAX_CAUSE_DEPTH = 3;
const MAX_MESSAGE_LENGTH = 200;
const SAFE_CODE = /^[A-Za-z0-9_]{1,40}$/;
const QUOTE = /['"`]/;
// Anything outside printable ASCII: control characters (CR/LF forge log lines) and raw bytes.
const NOT_PRINTABLE = /[^\x20-\x7e]/g;

/** The message up to its first quote, printable, bounded, without trailing punctuation. */
export function safeMessage(message: string): string {
  const quote = QUOTE.exec(message);
  const head = quote ? message.slice(0, quote.index) : message;
  const printable = head.replace(NOT_PRINTABLE, ' ').trim();
  const bounded =
    printable.length > MAX_MESSAGE_LENGTH
      ? `${printable.slice(0, MAX_MESSAGE_LENGTH)}…`
      : printable;
  return bounded.replace(/[\s,:;(]+$/, '');
}

function framesOf(stack: string | undefined): string {
  if (stack === undefined) return '';
  return stack
    .split('\n')
    .filter((line) => line.startsWith('    at '))
    .join('\n');
}

function typeOf(value: unknown): string {
  return value === null ? 'null' : typeof value;
}
