import type { RedisClient } from '../index';
import type { RedisConnectionOptions } from './cache-aside-module.options';

/** The few members of an ioredis client the module uses on a client it created. */
interface OwnedIoredis {
  readonly status: string;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  quit(): Promise<unknown>;
  connect(): Promise<unknown>;
  disconnect(): void;
}

type IoredisConstructor = new (...args: unknown[]) => OwnedIoredis;

/** What the module hears from a client it created. */
export interface ConnectionListener {
  /** A connection error (refused, reset, timed out): the client keeps reconnecting. */
  onError(error: unknown): void;
  /** Connected, after a start or a reconnection. */
  onReady(): void;
}

/** A client the module created from connection options, and how to release it. */
export interface OwnedClient {
  readonly client: RedisClient;
  /** Opens the connection now (module init) rather than on the first command. */
  connect(): void;
  close(): Promise<void>;
}

/** How long `close` lets QUIT finish before it drops the connection. */
const QUIT_TIMEOUT_MS = 1_000;

/**
 * Connection options are a plain object (`{ url }`, `{ host, port }`); a client is always an
 * instance of some client class. That is the whole test: no duck typing of client methods.
 */
export function isConnectionOptions(value: unknown): value is RedisConnectionOptions {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Creates an ioredis client from connection options. ioredis is loaded here, on first use, so
 * that an application that passes its own client (node-redis, iovalkey) need not install it.
 * Unless the options say otherwise, reconnection backs off to 500 ms at most and a command is
 * retried once: the cache serves from the loader while Redis is away, so waiting longer buys
 * nothing. The client connects lazily (`lazyConnect`), so that an application whose bootstrap
 * fails after this provider was created leaves no socket open; `connect()` opens it once the
 * application has bootstrapped. Errors of the connection go to the listener, never left unhandled.
 */
export function createOwnedClient(
  options: RedisConnectionOptions,
  listener: ConnectionListener,
  load: (id: string) => unknown = require,
): OwnedClient {
  const Redis = loadIoredis(load);
  const { url, ...rest } = options;
  const settings = {
    retryStrategy: (attempt: number) => Math.min(attempt * 50, 500),
    maxRetriesPerRequest: 1,
    lazyConnect: true,
    ...rest,
  };
  const client = url === undefined ? new Redis(settings) : new Redis(url, settings);
  client.on('error', (error) => {
    listener.onError(error);
  });
  client.on('ready', () => {
    listener.onReady();
  });
  return {
    client: client as unknown as RedisClient,
    connect: () => {
      // A failure is already reported through the error listener, and retried by ioredis.
      if (client.status === 'wait') client.connect().catch(() => undefined);
    },
    close: () => closeClient(client),
  };
}

async function closeClient(client: OwnedIoredis): Promise<void> {
  if (client.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, QUIT_TIMEOUT_MS)));
    // QUIT lets the server see a clean goodbye; a failure or a slow answer ends in disconnect.
    await Promise.race([client.quit().catch(() => undefined), timeout]);
    clearTimeout(timer);
  }
  client.disconnect();
}

function loadIoredis(load: (id: string) => unknown): IoredisConstructor {
  let loaded: unknown;
  try {
    loaded = load('ioredis');
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
      throw new Error(
        '[cache-aside] CacheAsideModule was given connection options ({ url, ... }), which need ' +
          'the package "ioredis" to create a client, and it is not installed: run npm install ' +
          'ioredis, or pass a client you create yourself as `redis`.',
        { cause: error },
      );
    }
    throw error;
  }
  const candidate = loaded as { default?: unknown };
  const Redis = typeof loaded === 'function' ? loaded : candidate.default;
  if (typeof Redis !== 'function') {
    throw new Error('[cache-aside] the package "ioredis" did not export a client class.');
  }
  return Redis as IoredisConstructor;
}
