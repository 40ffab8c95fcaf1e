import type Redis from 'ioredis';
import { ACL_USERS, runUser } from '../../support/acl-users';
import { MEMORY, familiesUnderTest, whoAmI, type TestClient } from '../../support/client-families';
import { newFaultClient } from '../../support/fault-kit';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import { newTestClient, ready, uniquePrefix } from '../../support/test-redis';

/**
 * The user on a server a spec starts itself (the fault specs, Sentinel, large batches…): the
 * clients under test log in as the run's ACL user in the integration:acl projects, as `default`
 * elsewhere. Each family's fault-kit client (directly, through a fault proxy, after a restart)
 * and its own client of `server.url`; what a spec sends as admin (`adminUrl`, `cli()`) stays the
 * default user's. A client under test that logged in as `default` under an ACL project would run
 * its spec unconfined and prove nothing about the ACL line; so would a user without its rules.
 */
const USER = runUser();
const EXPECTED = USER ?? 'default';
/** The fault kit's client families (CACHE_ASIDE_TEST_CLIENT), all of them unless one is set. */
const FAULT_FAMILIES = process.env.CACHE_ASIDE_TEST_CLIENT
  ? [process.env.CACHE_ASIDE_TEST_CLIENT]
  : ['ioredis', 'ioredis6', 'iovalkey', 'node-redis'];
const SERVER_FAMILIES = familiesUnderTest().filter((family) => family !== MEMORY);

describe('the user on a server of a spec’s own', () => {
  let server: RedisServer;
  let proxy: FaultProxy;
  const opened: Array<{ disconnect(): void }> = [];
  const families: TestClient[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
    proxy = await startFaultProxy(server.port);
  });

  afterEach(async () => {
    for (const client of opened.splice(0)) client.disconnect();
    await Promise.all(families.splice(0).map((family) => family.close()));
  });

  afterAll(async () => {
    await proxy.close();
    await server.stop();
  });

  /** newFaultClient of one family, as a spec of that family's project gets it. */
  function faultClient(family: string, url: string): Redis {
    const before = process.env.CACHE_ASIDE_TEST_CLIENT;
    process.env.CACHE_ASIDE_TEST_CLIENT = family;
    try {
      const client = newFaultClient(url);
      opened.push(client);
      return client;
    } finally {
      if (before === undefined) delete process.env.CACHE_ASIDE_TEST_CLIENT;
      else process.env.CACHE_ASIDE_TEST_CLIENT = before;
    }
  }

  it.each(FAULT_FAMILIES)(
    'is the run user for the fault kit’s %s client, directly and through a fault proxy',
    async (family) => {
      expect(await whoAmI(faultClient(family, server.url))).toBe(EXPECTED);
      // The proxy's URL names no user: the fault kit adds the run's.
      expect(await whoAmI(faultClient(family, proxy.url))).toBe(EXPECTED);
    },
  );

  it.each(SERVER_FAMILIES.map((family) => [family.name, family] as const))(
    'is the run user for a %s client of server.url',
    async (_name, family) => {
      const under = await family.standalone(server.url);
      families.push(under);
      expect(await whoAmI(under.client)).toBe(EXPECTED);
    },
  );

  it('is the run user after a restart too (the server is started with it)', async () => {
    await server.restart();
    const client = faultClient('ioredis', server.url);
    await ready(client);
    expect(await whoAmI(client)).toBe(EXPECTED);
    expect(server.user).toBe(USER);
  });

  it('is the default user for what a spec sends as admin', async () => {
    expect(server.cli('ACL', 'WHOAMI')).toBe('default');
    const admin = newTestClient(server.adminUrl);
    opened.push(admin);
    expect(await admin.call('ACL', 'WHOAMI')).toBe('default');
  });

  it('is confined as the docs’ line says: the test keys only, no @dangerous, scripts as its rules say', async () => {
    const client = faultClient('ioredis', server.url);
    await ready(client);
    const inside = `${uniquePrefix('own-server-user')}k`;
    expect(await client.set(inside, 'v')).toBe('OK');
    const refusals = {
      keys: await refusal(client.keys('*')),
      outside: await refusal(client.set('outside-the-test-keys', 'v')),
      config: await refusal(client.call('CONFIG', 'GET', 'maxmemory')),
      script: await refusal(client.eval('return 1', 0)),
    };
    const noScripting = USER !== undefined && ACL_USERS[USER].includes('-@scripting');
    expect(refusals).toEqual({
      keys: USER !== undefined,
      outside: USER !== undefined,
      config: USER !== undefined,
      script: noScripting,
    });
  });
});

/** True when Redis refused the command for the user's ACL (NOPERM); false when it ran. */
async function refusal(reply: Promise<unknown>): Promise<boolean> {
  try {
    await reply;
    return false;
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('NOPERM')) return true;
    throw error;
  }
}
