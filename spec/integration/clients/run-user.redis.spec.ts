import {
  MEMORY,
  clusterNodes,
  familiesUnderTest,
  whoAmI,
  type TestClient,
} from '../../support/client-families';
import { runUser } from '../../support/acl-users';
import { testRedisUrl } from '../../support/test-redis';

/**
 * The user every client of a run logs in as, standalone and Cluster, for each client family:
 * the ACL user of an integration:acl project (spec/support/acl-env/), the URL's user (or
 * `default`) otherwise. A client that logged in as `default` under an ACL project would run its
 * specs unconfined and prove nothing about the ACL line. (The memory store has no user.)
 */
const SERVER_FAMILIES = familiesUnderTest().filter((family) => family !== MEMORY);

describe.each(SERVER_FAMILIES.map((family) => [family.name, family] as const))(
  'the user of a run on %s',
  (_name, family) => {
    const opened: TestClient[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((c) => c.close()));
    });

    it('is the run user on the standalone server', async () => {
      const under = await family.standalone(testRedisUrl());
      opened.push(under);
      expect(await whoAmI(under.client)).toBe(expectedUser(new URL(testRedisUrl()).username));
    });

    const clusterOf = family.cluster?.bind(family);
    if (clusterOf !== undefined)
      it('is the run user on the Cluster', async () => {
        const under = await clusterOf(clusterNodes());
        opened.push(under);
        expect(await whoAmI(under.client)).toBe(runUser() ?? 'default');
      });
  },
);

function expectedUser(user: string): string {
  return user === '' ? 'default' : decodeURIComponent(user);
}
