import { CircuitBreaker } from '../../../lib/redis/circuit-breaker';
import type { ClientConnection } from '../../../lib/redis/clients/client-connection';
import { CommandRunner } from '../../../lib/redis/command-runner';
import { DeadlineExceededError } from '../../../lib/errors/deadline-exceeded.error';

/**
 * Writes to a client that can drop unsent commands (node-redis) carry an abort signal: a write
 * whose deadline passed before it went out is dropped, never to land later. The writes of one
 * tick share one signal (a controller per write cost a node-redis miss ~8 µs), aborted only once
 * all of them have settled and one expired: no write fails by another's expiry, none is dropped
 * before its own deadline.
 */
describe('CommandRunner: the abort signal of unsent writes', () => {
  const signals: AbortSignal[] = [];
  const connection = {
    isCluster: false,
    abortsUnsent: true,
    directGet: undefined,
    state: () => 'ready',
    onReady: () => () => undefined,
    isReplyError: () => false,
    nodeOf: () => undefined,
    servingNodes: () => new Set<string>(),
    sockets: () => [],
  } as unknown as ClientConnection;
  /** A write the server never answers; like node-redis, an abort rejects it (if not yet written). */
  const unanswered = (signal: AbortSignal | undefined): Promise<never> => {
    signals.push(signal as AbortSignal);
    return new Promise<never>((_resolve, reject) => {
      signal?.addEventListener('abort', () => {
        reject(Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }));
      });
    });
  };

  beforeEach(() => {
    signals.length = 0;
  });

  it('shares a signal within a tick, not across ticks, and aborts it once its writes expired', async () => {
    const runner = new CommandRunner(connection, new CircuitBreaker(), 30, false);
    try {
      const first = [
        runner.run((_c, s) => unanswered(s), true),
        runner.run((_c, s) => unanswered(s), true),
      ];
      await new Promise((resolve) => setImmediate(resolve));
      const later = runner.run((_c, s) => unanswered(s), true);
      expect(signals).toHaveLength(3);
      expect(signals[0]).toBe(signals[1]);
      expect(signals[2]).not.toBe(signals[0]);
      for (const sent of [...first, later])
        await expect(sent).rejects.toBeInstanceOf(DeadlineExceededError);
      expect(signals.every((signal) => signal.aborted)).toBe(true);
      // Reads carry none.
      void runner.run((_c, s) => unanswered(s), false).catch(() => undefined);
      expect(signals[3]).toBeUndefined();
    } finally {
      runner.detach();
    }
  });

  it("fails no write by another's expiry: each of a tick's writes runs to its own deadline", async () => {
    const runner = new CommandRunner(connection, new CircuitBreaker(), 30, false);
    try {
      const started = performance.now();
      const first = runner.run((_c, s) => unanswered(s), true);
      // Same tick, a deadline 15 ms later (a large write takes that long to hand over).
      const until = performance.now() + 15;
      while (performance.now() < until);
      const second = runner.run((_c, s) => unanswered(s), true);
      expect(signals[1]).toBe(signals[0]);
      await expect(first).rejects.toBeInstanceOf(DeadlineExceededError);
      const outcome = await second.then(
        () => 'answered',
        (error: unknown) => error,
      );
      // Not an AbortError at the first one's deadline: its own deadline, 15 ms later.
      expect(outcome).toBeInstanceOf(DeadlineExceededError);
      expect(performance.now() - started).toBeGreaterThanOrEqual(44);
      expect(signals[0].aborted).toBe(true);
    } finally {
      runner.detach();
    }
  });

  it('waits for a sibling still in flight before aborting, and never touches one that answered', async () => {
    const runner = new CommandRunner(connection, new CircuitBreaker(), 30, false);
    try {
      let answer!: (value: string) => void;
      const answered = runner.run((_c, s) => {
        signals.push(s as AbortSignal);
        return new Promise<string>((resolve) => (answer = resolve));
      }, true);
      const expiring = runner.run((_c, s) => unanswered(s), true);
      answer('OK');
      await expect(answered).resolves.toBe('OK');
      expect(signals[0].aborted).toBe(false);
      await expect(expiring).rejects.toBeInstanceOf(DeadlineExceededError);
      expect(signals[1]).toBe(signals[0]);
      expect(signals[0].aborted).toBe(true);
    } finally {
      runner.detach();
    }
  });
});
