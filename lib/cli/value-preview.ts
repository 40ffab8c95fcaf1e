import { inspect } from 'node:util';

/**
 * A decoded value for a terminal: pretty, depth- and length-bounded, then cut at `maxChars`
 * with a note of how much was left out (so a 5 MB value does not flood the screen).
 */
export function previewValue(value: unknown, maxChars: number): string {
  const text = inspect(value, {
    depth: 8,
    colors: false,
    maxArrayLength: 100,
    maxStringLength: maxChars,
    breakLength: 100,
    sorted: false,
  });
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars)}… (${text.length - maxChars} more characters; --max-chars or --raw)`;
}

/**
 * A decoded value for `--json`: JSON as far as it goes; values JSON cannot hold (BigInt, Map,
 * binary data…) become their printed form rather than failing the output.
 */
export function jsonSafe(value: unknown): unknown {
  if (value === undefined) return null;
  try {
    const text = JSON.stringify(value, (_key, item: unknown) =>
      typeof item === 'bigint' || item instanceof Map || item instanceof Set ? inspect(item) : item,
    ) as string | undefined; // undefined for a function or symbol at the top
    return JSON.parse(text ?? 'null') as unknown;
  } catch {
    return inspect(value, { depth: 8 });
  }
}
