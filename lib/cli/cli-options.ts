import { parseArgs } from 'node:util';
import { DEFAULT_KEY_PREFIX } from '../index';
import { CliError, ExitCode } from './exit-code';

/** The commands the tool knows, in the order `--help` lists them. */
export const COMMANDS = ['inspect', 'ls', 'stats', 'invalidate', 'invalidate-tags'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** A parsed command line. */
export interface CliOptions {
  readonly command: CommandName | undefined;
  readonly args: readonly string[];
  readonly help: boolean;
  /** From --url, else REDIS_URL, else the local default. */
  readonly url: string;
  readonly prefix: string;
  readonly cluster: boolean;
  readonly json: boolean;
  readonly raw: boolean;
  readonly dryRun: boolean;
  /** --progress forces the bar; otherwise it is drawn only when stderr is a terminal. */
  readonly progress: boolean;
  readonly limit: number;
  readonly cursor: string | undefined;
  /** SCAN COUNT: keys Redis looks at per step (more: fewer round trips, longer steps). */
  readonly scanCount: number;
  /** How many characters of a decoded value `inspect` prints. */
  readonly maxChars: number;
  /** Connection and per-command timeout. */
  readonly timeoutMs: number;
  /** --ca: a PEM file of the CA(s) to trust for a rediss:// server, instead of the system's. */
  readonly caFile: string | undefined;
}

export const DEFAULT_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_LIMIT = 100;
export const DEFAULT_MAX_CHARS = 2000;
export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_SCAN_STEP = 1000;

/** Parses argv (without `node` and the script) with Node's own parser: no dependency. */
export function parseCliOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string' },
        prefix: { type: 'string' },
        cluster: { type: 'boolean' },
        json: { type: 'boolean' },
        raw: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        progress: { type: 'boolean' },
        limit: { type: 'string' },
        cursor: { type: 'string' },
        count: { type: 'string' },
        'max-chars': { type: 'string' },
        timeout: { type: 'string' },
        ca: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw usage(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const [name, ...args] = positionals as Array<string | undefined>;
  if (name !== undefined && !(COMMANDS as readonly string[]).includes(name)) {
    throw usage(`unknown command "${name}"; the commands are ${COMMANDS.join(', ')}`);
  }
  return {
    command: name as CommandName | undefined,
    args: args as string[],
    help: values.help === true,
    url: values.url ?? env.REDIS_URL ?? DEFAULT_URL,
    prefix: values.prefix ?? DEFAULT_KEY_PREFIX,
    cluster: values.cluster === true,
    json: values.json === true,
    raw: values.raw === true,
    dryRun: values['dry-run'] === true,
    progress: values.progress === true,
    limit: positive(values.limit, '--limit', DEFAULT_LIMIT),
    cursor: values.cursor,
    scanCount: positive(values.count, '--count', DEFAULT_SCAN_STEP),
    maxChars: positive(values['max-chars'], '--max-chars', DEFAULT_MAX_CHARS),
    timeoutMs: positive(values.timeout, '--timeout', DEFAULT_TIMEOUT_MS),
    caFile: values.ca,
  };
}

function positive(text: string | undefined, option: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw usage(`${option} takes a positive whole number, got "${text}"`);
  }
  return value;
}

/** A usage error: the message says what is wrong; `--help` says the rest. */
export function usage(message: string): CliError {
  return new CliError(
    `[cache-aside] ${message} (run cache-aside --help for usage).`,
    ExitCode.Usage,
  );
}
