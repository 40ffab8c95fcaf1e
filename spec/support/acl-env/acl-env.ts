import { asRunUser } from '../acl-users';

/**
 * Runs a worker's specs as one of the ACL users (ACL_USERS in spec/support/acl-users.ts): the
 * global setup made them on its servers, and every server a spec starts makes the run's user too
 * (spec/support/redis-server.ts). The standalone URL, the Cluster's credentials and the URLs of a
 * spec's own servers become that user's; what a spec sends as admin goes through
 * adminRedisUrl() or a server's adminUrl and cli(). Against a server of the user's own
 * (REDIS_URL), the shared standalone URL is left alone: the URL's own user applies.
 */
export function runAs(user: string): void {
  process.env.CACHE_ASIDE_TEST_ACL_USER = user;
  const url = process.env.CACHE_ASIDE_TEST_REDIS_URL;
  if (process.env.REDIS_URL || url === undefined) return;
  process.env.CACHE_ASIDE_TEST_ADMIN_URL = url;
  process.env.CACHE_ASIDE_TEST_REDIS_URL = asRunUser(url);
  // Prefixes of their own: the same spec file may have run as another user on these servers.
  process.env.CACHE_ASIDE_TEST_RUN = `${process.env.CACHE_ASIDE_TEST_RUN ?? 'local'}-${user}`;
}
