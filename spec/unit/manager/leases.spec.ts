import { DeadlineExceededError } from '../../../lib/errors/deadline-exceeded.error';
import { BackgroundTasks } from '../../../lib/manager/background-tasks';
import { Leases } from '../../../lib/manager/leases';
import { ABSENT } from '../../../lib/manager/lookup';
import { Telemetry } from '../../../lib/manager/telemetry';
import type { RedisGateway } from '../../../lib/redis/redis-gateway';

/**
 * A lease take whose answer never came (issue #12, finding 2): the take may have run in time and
 * only its reply been lost, so the lease is given back behind it, and nobody waits for a load
 * that is not coming. A take that answered is never given back by `take` itself.
 */
describe('Leases.take', () => {
  const released: string[] = [];
  let answer: () => Promise<boolean>;
  const gateway = {
    acquireLease: () => answer(),
    releaseLease: async (key: string, marker: string) => {
      released.push(`${key} ${marker}`);
      return true;
    },
  } as unknown as RedisGateway;
  const background = new BackgroundTasks();
  const leases = new Leases(gateway, new Telemetry(), background, 'p:', 1000);

  beforeEach(() => {
    released.length = 0;
  });

  it('gives the lease back when the take failed, and passes the failure on', async () => {
    answer = () => Promise.reject(new DeadlineExceededError(100));
    await expect(leases.take('p:k', ABSENT, 'CA~lease~m')).rejects.toBeInstanceOf(
      DeadlineExceededError,
    );
    await background.settle();
    expect(released).toEqual(['p:k CA~lease~m']);
  });

  it('keeps a lease it got, and gives nothing back for one it did not get', async () => {
    answer = async () => true;
    expect(await leases.take('p:k', ABSENT, 'CA~lease~a')).toBe(true);
    answer = async () => false;
    expect(await leases.take('p:k', ABSENT, 'CA~lease~b')).toBe(false);
    await background.settle();
    expect(released).toEqual([]);
  });
});
