import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { requireOptionalPeer } from '../serializers/optional-peer';
import { CliError, ExitCode } from './exit-code';
import { usage } from './cli-options';
import { maskedUrl, withoutSecret } from './masked-url';

type IoRedis = typeof import('ioredis');

/** The CLI's own connection: one client, and the masters a scan must visit. */
export interface RedisConnection {
  readonly client: Redis | Cluster;
  /** Every master, in a stable order (a `ls` cursor names one by its position). */
  masters(): Redis[];
  close(): Promise<void>;
}

export interface ConnectOptions {
  readonly url: string;
  readonly cluster: boolean;
  readonly timeoutMs: number;
  /** A PEM file of the CA(s) to trust (rediss:// only); without it, Node's trust store. */
  readonly caFile?: string | undefined;
}

/**
 * Connects and waits until Redis answers, failing fast (no reconnection loop: a tool run is
 * short). Every failure is a {@link CliError} that names the URL with its password masked.
 */
export async function connectRedis(options: ConnectOptions): Promise<RedisConnection> {
  const target = parseRedisUrl(options.url);
  const tls = target.tls ? tlsOptions(target.host, options.caFile) : undefined;
  if (!target.tls && options.caFile !== undefined) {
    throw usage('--ca needs a rediss:// URL (TLS); with redis:// nothing would use it');
  }
  const ioredis = requireOptionalPeer<IoRedis>('ioredis', 'the cache-aside command-line tool');
  const shown = maskedUrl(options.url);
  const common: RedisOptions = {
    lazyConnect: true,
    connectTimeout: options.timeoutMs,
    commandTimeout: options.timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    ...target.credentials,
    ...(tls ? { tls } : {}),
  };
  let lastError: unknown;
  const client: Redis | Cluster = options.cluster
    ? new ioredis.Cluster([{ host: target.host, port: target.port }], {
        lazyConnect: true,
        clusterRetryStrategy: () => null,
        slotsRefreshTimeout: options.timeoutMs,
        redisOptions: common,
      })
    : new ioredis.Redis({ ...common, host: target.host, port: target.port, db: target.db });
  client.on('error', (error: unknown) => {
    lastError = error;
  });
  const close = async (): Promise<void> => {
    try {
      await client.quit();
    } catch {
      client.disconnect();
    }
  };
  try {
    await withTimeout(client.connect(), options.timeoutMs);
    await withTimeout(client.ping(), options.timeoutMs);
  } catch (error) {
    client.disconnect();
    throw connectionError(lastError ?? error, shown, target.credentials.password);
  }
  return {
    client,
    masters: () =>
      options.cluster
        ? [...(client as Cluster).nodes('master')].sort((a, b) =>
            nodeName(a).localeCompare(nodeName(b)),
          )
        : [client as Redis],
    close,
  };
}

interface RedisTarget {
  host: string;
  port: number;
  db: number;
  tls: boolean;
  credentials: { username?: string; password?: string };
}

/** Reads redis:// and rediss:// URLs; anything else is a usage error naming the right form. */
export function parseRedisUrl(url: string): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not quoted: text that does not parse may still hold a password.
    throw usage(
      '--url (or REDIS_URL) is not a URL; ' +
        'write redis://[user:password@]host:port[/db] or rediss://… for TLS',
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw usage(`--url must start with redis:// or rediss:// (TLS), got "${maskedUrl(url)}"`);
  }
  const dbText = parsed.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isSafeInteger(db) || db < 0) {
    throw usage(`the database in --url must be a number, got "${dbText}"`);
  }
  const username = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    db,
    tls: parsed.protocol === 'rediss:',
    credentials: {
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
    },
  };
}

/**
 * What the TLS handshake checks: the certificate against `--ca` (else Node's trust store, with
 * NODE_EXTRA_CA_CERTS) and against the host. SNI is sent for a host name only: Node refuses to
 * send an IP address as a server name (and warns on stderr if asked to).
 */
function tlsOptions(host: string, caFile: string | undefined): ConnectionOptions {
  const options: ConnectionOptions = isIP(host) === 0 ? { servername: host } : {};
  if (caFile !== undefined) options.ca = [readCaFile(caFile)];
  return options;
}

function readCaFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    throw usage(
      `cannot read the --ca file "${path}"${typeof code === 'string' ? ` (${code})` : ''}; ` +
        "give the PEM file of the CA that signed the server's certificate",
    );
  }
}

/** Node's codes for a certificate chain it could not verify up to a trusted CA. */
const UNTRUSTED_CERTIFICATE = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** Turns what ioredis reported into one line that names the likely fix. */
export function connectionError(error: unknown, url: string, password?: string): CliError {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  let text: string;
  if (/WRONGPASS|invalid password|invalid username-password/i.test(message)) {
    text = `authentication failed at ${url}: check the user and password in --url (or REDIS_URL)`;
  } else if (/NOAUTH/i.test(message)) {
    text = `${url} requires a password: give it in the URL, redis://:password@host:port`;
  } else if (typeof code === 'string' && UNTRUSTED_CERTIFICATE.has(code)) {
    text =
      `TLS: the server's certificate at ${url} is not trusted (${message}): give the CA ` +
      'that signed it with --ca <file> (or NODE_EXTRA_CA_CERTS)';
  } else if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    text = `TLS: the server's certificate does not name the host of ${url} (${message})`;
  } else if (
    /wrong version number|packet length too long|ERR_SSL_/i.test(`${message} ${String(code)}`)
  ) {
    text = `TLS handshake with ${url} failed: is that port a TLS port? (rediss:// needs one; redis:// is plain)`;
  } else if (code === 'ECONNREFUSED') {
    text = `cannot connect to ${url}: connection refused (is Redis listening there?)`;
  } else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    text = `cannot connect to ${url}: unknown host`;
  } else if (/timed? ?out/i.test(message) || code === 'ETIMEDOUT') {
    text = `no answer from ${url} in time (raise --timeout, or check host, port and TLS)`;
  } else {
    text = `cannot use Redis at ${url}: ${message}`;
  }
  return new CliError(`[cache-aside] ${withoutSecret(text, password)}.`, ExitCode.Connection);
}

function nodeName(node: Redis): string {
  return `${node.options.host ?? ''}:${String(node.options.port ?? '').padStart(5, '0')}`;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error('timed out'));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}
