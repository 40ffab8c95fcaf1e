import { CircuitBreaker } from '../../../lib/redis/circuit-breaker';
import type { ClientConnection } from '../../../lib/redis/clients/client-connection';
import { CommandRunner } from '../../../lib/redis/command-runner';
import { DeadlineExceededError } from '../../../lib/errors/deadline-exceeded.error';

/**
 * Writes to a client that can drop unsent commands (node-redis) carry an abort signal: when a
 * write's deadline passes before it went out, it is dropped, never to land later. The writes of
 * one tick share one signal (a controller per write cost a node-redis miss ~8 µs): those of
 * another tick do not, and the first deadline of a tick aborts that tick's writes only.
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
  const write = (signal: AbortSignal | undefined): Promise<never> => {
    signals.push(signal as AbortSignal);
    return new Promise<never>(() => undefined); // the server never answers
  };

  beforeEach(() => {
    signals.length = 0;
  });

  it('shares a signal within a tick, not across ticks, and aborts it at the deadline', async () => {
    const runner = new CommandRunner(connection, new CircuitBreaker(), 30, false);
    try {
      const first = [runner.run((_c, s) => write(s), true), runner.run((_c, s) => write(s), true)];
      await new Promise((resolve) => setImmediate(resolve));
      const later = runner.run((_c, s) => write(s), true);
      expect(signals).toHaveLength(3);
      expect(signals[0]).toBe(signals[1]);
      expect(signals[2]).not.toBe(signals[0]);
      for (const sent of [...first, later])
        await expect(sent).rejects.toBeInstanceOf(DeadlineExceededError);
      expect(signals.every((signal) => signal.aborted)).toBe(true);
      // Reads carry none.
      void runner.run((_c, s) => write(s), false).catch(() => undefined);
      expect(signals[3]).toBeUndefined();
    } finally {
      runner.detach();
    }
  });
});
