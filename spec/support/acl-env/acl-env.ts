/**
 * Runs a worker's specs as one of the ACL users the global setup created (see ACL_USERS in
 * global-setup.ts): the standalone URL and the Cluster's credentials become that user's. Against
 * a server of the user's own (REDIS_URL), nothing is changed: the URL's own user applies.
 */
export function runAs(user: string): void {
  const url = process.env.CACHE_ASIDE_TEST_REDIS_URL;
  if (process.env.REDIS_URL || url === undefined) return;
  process.env.CACHE_ASIDE_TEST_ADMIN_URL = url;
  process.env.CACHE_ASIDE_TEST_REDIS_URL = url.replace('redis://', `redis://${user}:${user}-pw@`);
  process.env.CACHE_ASIDE_TEST_CLUSTER_USER = user;
  // Prefixes of their own: the same spec file may have run as another user on these servers.
  process.env.CACHE_ASIDE_TEST_RUN = `${process.env.CACHE_ASIDE_TEST_RUN ?? 'local'}-${user}`;
}
