import type { RedisServer } from './redis-server';

/** Stops, by PID, every server the global setup started — and only those. */
export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as { __cacheAsideServers?: RedisServer[] }).__cacheAsideServers ?? [];
  await Promise.all(servers.map((server) => server.stop()));
}
