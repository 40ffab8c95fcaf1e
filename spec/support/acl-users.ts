/**
 * The Redis ACL users the integration:acl projects run as, and the user of this worker's run.
 * Every server the tests start has them: the global setup's shared servers, and the servers a
 * spec starts itself (spec/support/redis-server.ts), whose URLs then log in as the run's user.
 */

/**
 * Every key a run writes starts with this (the run's id follows, see uniquePrefix), so teardown
 * can find them; the ACL users are confined to it.
 */
export const TEST_KEY_ROOT = 'cache-aside-test:';

/** Users the integration:acl projects run as: the docs' line, then without scripting too. */
export const ACL_USERS: Readonly<Record<string, readonly string[]>> = {
  'acl-dangerous': [],
  'acl-scripting': ['-@scripting'],
};

export function aclPassword(user: string): string {
  return `${user}-pw`;
}

/**
 * The line docs/security.md gives users, for the test keys' root: keys and channels under it,
 * everything but @dangerous, plus what the test clients need: INFO (ioredis's ready check) and
 * CLUSTER SLOTS (a Cluster client's topology); then the user's own extra rules (ACL_USERS).
 */
export function aclRules(user: string): string[] {
  return [
    'reset',
    'on',
    `>${aclPassword(user)}`,
    `~${TEST_KEY_ROOT}*`,
    `&${TEST_KEY_ROOT}*`,
    '+@all',
    '-@dangerous',
    '+info',
    '+cluster|slots',
    ...knownUser(user),
  ];
}

/**
 * redis-server arguments that create `users` at start (one `--user` line each, as redis.conf's
 * `user` directive): a server restarted with the same arguments has them again.
 */
export function aclUserArgs(users: readonly string[]): string[] {
  return users.flatMap((user) => ['--user', user, ...aclRules(user)]);
}

/**
 * The ACL user this worker's specs run as (CACHE_ASIDE_TEST_ACL_USER, set by
 * spec/support/acl-env/ in the integration:acl projects); undefined elsewhere (the default user).
 */
export function runUser(): string | undefined {
  const user = process.env.CACHE_ASIDE_TEST_ACL_USER;
  if (user === undefined || user === '') return undefined;
  knownUser(user);
  return user;
}

/** Client options logging in as the run's user ({} when there is none). */
export function runUserCredentials(): { username?: string; password?: string } {
  const user = runUser();
  return user === undefined ? {} : { username: user, password: aclPassword(user) };
}

/**
 * `url`, logging in as the run's user, unless it names a user or password of its own (or there
 * is no run user). For the library's clients of a server the tests started, which has the user.
 */
export function asRunUser(url: string): string {
  const user = runUser();
  if (user === undefined) return url;
  const parsed = new URL(url);
  if (parsed.username !== '' || parsed.password !== '') return url;
  parsed.username = user;
  parsed.password = aclPassword(user);
  return parsed.toString();
}

function knownUser(user: string): readonly string[] {
  if (!Object.hasOwn(ACL_USERS, user))
    throw new Error(`unknown ACL user "${user}" (known: ${Object.keys(ACL_USERS).join(', ')})`);
  return ACL_USERS[user];
}
