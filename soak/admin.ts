import Redis from 'ioredis';

/**
 * One command sent straight to a node (never through a relay), for fault injection and health
 * checks: a fresh connection per call, no retries, bounded by a timeout, so a dead or restarting
 * node answers with an error instead of a hang.
 */
export async function adminCommand(
  port: number,
  command: string,
  ...args: string[]
): Promise<unknown> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
    commandTimeout: 2000,
    enableOfflineQueue: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(command, ...args);
  } finally {
    client.disconnect();
  }
}

/** The same, answering undefined instead of throwing (for polls). */
export async function tryAdminCommand(
  port: number,
  command: string,
  ...args: string[]
): Promise<unknown> {
  try {
    return await adminCommand(port, command, ...args);
  } catch {
    return undefined;
  }
}
