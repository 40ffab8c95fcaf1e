import { DeadlineExceededError } from '../../../lib/errors/deadline-exceeded.error';
import { RedisUnavailableError } from '../../../lib/errors/redis-unavailable.error';
import { BackgroundTasks } from '../../../lib/manager/background-tasks';
import { Leases, MAX_HELD_GIVE_BACKS } from '../../../lib/manager/leases';
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
    onRecovered: () => undefined,
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

  it('gives nothing back for a take that was never sent (circuit open, client not ready)', async () => {
    answer = () => Promise.reject(new RedisUnavailableError('circuit open'));
    await expect(leases.take('p:k', ABSENT, 'CA~lease~n')).rejects.toBeInstanceOf(
      RedisUnavailableError,
    );
    await background.settle();
    expect(released).toEqual([]);
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

/**
 * A give-back Redis did not take (unreachable, circuit open) is held and sent again when Redis
 * answers, so other processes need not wait out the lease; until the lease has expired by itself.
 */
describe('Leases.release while Redis does not answer', () => {
  const sent: string[] = [];
  let reachable = false;
  let recovered: () => void = () => undefined;
  const gateway = {
    releaseLease: (key: string, marker: string) => {
      sent.push(`${key} ${marker}`);
      return reachable ? Promise.resolve(true) : Promise.reject(new Error('not ready'));
    },
    onRecovered: (listener: () => void) => {
      recovered = listener;
    },
  } as unknown as RedisGateway;
  const background = new BackgroundTasks();
  let now = 1_000_000;
  let leases: Leases;

  beforeEach(() => {
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    sent.length = 0;
    reachable = false;
    leases = new Leases(gateway, new Telemetry(), background, 'p:', 1000);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('sends it again once Redis answers, and only once it is taken', async () => {
    leases.release('p:k', 'CA~lease~m');
    await background.settle();
    recovered(); // answers again, but this give-back fails once more: still held
    await background.settle();
    reachable = true;
    recovered();
    await background.settle();
    recovered();
    await background.settle();
    expect(sent).toEqual(['p:k CA~lease~m', 'p:k CA~lease~m', 'p:k CA~lease~m']);
  });

  it('drops one whose lease has expired by itself meanwhile', async () => {
    leases.release('p:k', 'CA~lease~m');
    await background.settle();
    now += 1000; // the lease's TTL: gone by now, whoever holds the key
    reachable = true;
    recovered();
    await background.settle();
    expect(sent).toEqual(['p:k CA~lease~m']);
  });

  it('holds at most MAX_HELD_GIVE_BACKS', async () => {
    for (let i = 0; i < MAX_HELD_GIVE_BACKS + 5; i++) leases.release(`p:k${i}`, `CA~lease~${i}`);
    await background.settle();
    sent.length = 0;
    reachable = true;
    recovered();
    await background.settle();
    expect(sent).toHaveLength(MAX_HELD_GIVE_BACKS);
  });
});
