import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CacheError } from '../../../lib/errors/cache-error';
import {
  CACHE_CHANNEL_NAMES,
  cacheChannels,
  noteBatch,
  noteBatchStale,
  noteLookup,
  observeCacheManagers,
  publishError,
  registerManager,
  traceGet,
  traceGetMany,
  traceInvalidate,
  traceLoad,
  traceSet,
  withHasSubscribers,
  type CacheErrorMessage,
  type CacheManagerIdentity,
} from '../../../lib/manager/cache-channels';

type Phase = 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error';

/** Subscribes to a tracing channel by name, as a user would, and records what each phase saw. */
function record(name: string): {
  events: Array<{ phase: Phase; context: Record<string, unknown> }>;
  stop(): void;
} {
  const events: Array<{ phase: Phase; context: Record<string, unknown> }> = [];
  const at =
    (phase: Phase) =>
    (message: unknown): void => {
      // A copy: the context object is the same one through every phase.
      events.push({ phase, context: { ...(message as Record<string, unknown>) } });
    };
  const handlers = {
    start: at('start'),
    end: at('end'),
    asyncStart: at('asyncStart'),
    asyncEnd: at('asyncEnd'),
    error: at('error'),
  };
  const channel = tracingChannel(name);
  channel.subscribe(handlers);
  return { events, stop: () => channel.unsubscribe(handlers) };
}

const manager: CacheManagerIdentity = Object.freeze({ id: 7, keyPrefix: 'app:' });

describe('cache channels', () => {
  it('are named as the contract says', () => {
    expect(CACHE_CHANNEL_NAMES).toEqual({
      get: 'cache-aside:get',
      getMany: 'cache-aside:getMany',
      set: 'cache-aside:set',
      invalidate: 'cache-aside:invalidate',
      load: 'cache-aside:load',
      error: 'cache-aside:error',
    });
  });

  it('have no subscribers until someone subscribes by name, and none after they leave', () => {
    for (const name of ['get', 'getMany', 'set', 'invalidate', 'load'] as const) {
      expect(cacheChannels[name].hasSubscribers).toBe(false);
      const recorder = record(CACHE_CHANNEL_NAMES[name]);
      expect(cacheChannels[name].hasSubscribers).toBe(true);
      recorder.stop();
      expect(cacheChannels[name].hasSubscribers).toBe(false);
    }
    const listener = (): void => undefined;
    expect(cacheChannels.error.hasSubscribers).toBe(false);
    subscribe(CACHE_CHANNEL_NAMES.error, listener);
    expect(cacheChannels.error.hasSubscribers).toBe(true);
    unsubscribe(CACHE_CHANNEL_NAMES.error, listener);
    expect(cacheChannels.error.hasSubscribers).toBe(false);
  });

  it('count a subscriber to any one phase as a subscriber', () => {
    const onEnd = (): void => undefined;
    // Each phase is a plain channel named `tracing:<name>:<phase>`.
    subscribe(`tracing:${CACHE_CHANNEL_NAMES.get}:asyncEnd`, onEnd);
    try {
      expect(cacheChannels.get.hasSubscribers).toBe(true);
    } finally {
      unsubscribe(`tracing:${CACHE_CHANNEL_NAMES.get}:asyncEnd`, onEnd);
    }
    expect(cacheChannels.get.hasSubscribers).toBe(false);
  });
});

describe('withHasSubscribers()', () => {
  it('gives a TracingChannel without hasSubscribers (Node before 20.13) the same answer', () => {
    const name = 'cache-aside:test:old-node';
    const old = tracingChannel(name);
    // As on Node 20.12: no hasSubscribers of its own.
    Object.defineProperty(old, 'hasSubscribers', { value: undefined, configurable: true });
    const shimmed = withHasSubscribers(old);
    expect(shimmed.hasSubscribers).toBe(false);
    for (const phase of ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const) {
      const listener = (): void => undefined;
      subscribe(`tracing:${name}:${phase}`, listener);
      expect(shimmed.hasSubscribers).toBe(true);
      unsubscribe(`tracing:${name}:${phase}`, listener);
      expect(shimmed.hasSubscribers).toBe(false);
    }
  });
});

describe('traceGet()', () => {
  it('publishes start, end, asyncStart and asyncEnd, with the outcome noted by asyncEnd', async () => {
    const recorder = record(CACHE_CHANNEL_NAMES.get);
    try {
      const value = await traceGet(manager, 'user:1', 'Users.find', async (trace) => {
        noteLookup(trace, 'hit', 'l1');
        return 42;
      });
      expect(value).toBe(42);
      expect(recorder.events.map((e) => e.phase)).toEqual([
        'start',
        'end',
        'asyncStart',
        'asyncEnd',
      ]);
      expect(recorder.events[0].context).toEqual({
        manager,
        keyPrefix: 'app:',
        method: 'Users.find',
        key: 'user:1',
        outcome: undefined,
        tier: undefined,
      });
      expect(recorder.events[3].context).toMatchObject({ outcome: 'hit', tier: 'l1', result: 42 });
    } finally {
      recorder.stop();
    }
  });

  it('sets error on a rejected read and keeps the outcome noted before it', async () => {
    const recorder = record(CACHE_CHANNEL_NAMES.get);
    const failure = new Error('loader failed');
    try {
      await expect(
        traceGet(manager, 'k', undefined, async (trace) => {
          noteLookup(trace, 'miss');
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(recorder.events.map((e) => e.phase)).toEqual([
        'start',
        'end',
        'error',
        'asyncStart',
        'asyncEnd',
      ]);
      expect(recorder.events[4].context).toMatchObject({
        outcome: 'miss',
        tier: undefined,
        error: failure,
        method: undefined,
      });
    } finally {
      recorder.stop();
    }
  });

  it('publishes start in the caller’s async context, so a subscriber sees the caller’s span', async () => {
    const als = new AsyncLocalStorage<string>();
    const seen: Array<string | undefined> = [];
    const onStart = (): void => {
      seen.push(als.getStore());
    };
    subscribe(`tracing:${CACHE_CHANNEL_NAMES.get}:start`, onStart);
    try {
      await als.run('request 1', () => traceGet(manager, 'k', undefined, async () => 1));
      expect(seen).toEqual(['request 1']);
    } finally {
      unsubscribe(`tracing:${CACHE_CHANNEL_NAMES.get}:start`, onStart);
    }
  });

  it('noteLookup does nothing for a read that is not traced', () => {
    expect(() => noteLookup(undefined, 'hit', 'redis')).not.toThrow();
  });
});

describe('traceGetMany()', () => {
  it('carries the keys and, by asyncEnd, how each tier answered', async () => {
    const recorder = record(CACHE_CHANNEL_NAMES.getMany);
    try {
      const values = await traceGetMany(manager, ['a', 'b', 'c'], 'Users.findMany', async (t) => {
        noteBatch(t, 1, 1, 1, false);
        return [1, 2, 3];
      });
      expect(values).toEqual([1, 2, 3]);
      expect(recorder.events[0].context).toMatchObject({
        keys: ['a', 'b', 'c'],
        l1Hits: 0,
        redisHits: 0,
        misses: 0,
        bypass: false,
      });
      expect(recorder.events.at(-1)!.context).toMatchObject({
        method: 'Users.findMany',
        l1Hits: 1,
        redisHits: 1,
        misses: 1,
      });
      expect(() => noteBatch(undefined, 0, 0, 1, true)).not.toThrow();
      expect(() => noteBatchStale(undefined, 1)).not.toThrow();
    } finally {
      recorder.stop();
    }
  });
});

describe('traceLoad()', () => {
  it('traces a loader that returns a plain value, with the key', async () => {
    const recorder = record(CACHE_CHANNEL_NAMES.load);
    try {
      await expect(traceLoad(manager, 'user:1', 'Users.find', () => 'v')).resolves.toBe('v');
      expect(recorder.events.map((e) => e.phase)).toEqual([
        'start',
        'end',
        'asyncStart',
        'asyncEnd',
      ]);
      expect(recorder.events[0].context).toEqual({
        manager,
        keyPrefix: 'app:',
        method: 'Users.find',
        key: 'user:1',
        keys: undefined,
      });
    } finally {
      recorder.stop();
    }
  });

  it('turns a loader that throws at once into a rejection, with error set', async () => {
    const recorder = record(CACHE_CHANNEL_NAMES.load);
    const failure = new TypeError('bad id');
    try {
      const loaded = traceLoad(manager, ['a', 'b'], undefined, () => {
        throw failure;
      });
      await expect(loaded).rejects.toBe(failure);
      expect(recorder.events.map((e) => e.phase)).toEqual([
        'start',
        'end',
        'error',
        'asyncStart',
        'asyncEnd',
      ]);
      expect(recorder.events[4].context).toMatchObject({
        key: undefined,
        keys: ['a', 'b'],
        error: failure,
      });
    } finally {
      recorder.stop();
    }
  });
});

describe('traceSet()', () => {
  it('traces a write with its key', async () => {
    const recorder = record(CACHE_CHANNEL_NAMES.set);
    try {
      await traceSet(manager, 'user:1', 'Users.save', async () => undefined);
      expect(recorder.events.map((e) => e.phase)).toEqual([
        'start',
        'end',
        'asyncStart',
        'asyncEnd',
      ]);
      expect(recorder.events[0].context).toEqual({
        manager,
        keyPrefix: 'app:',
        method: 'Users.save',
        key: 'user:1',
      });
    } finally {
      recorder.stop();
    }
  });
});

describe('traceInvalidate()', () => {
  it.each([
    [{ kind: 'key', keys: ['user:1'] } as const, { key: 'user:1', keys: ['user:1'] }],
    [{ kind: 'key', keys: ['a', 'b'] } as const, { key: undefined, keys: ['a', 'b'] }],
    [{ kind: 'pattern', pattern: 'user:*' } as const, { pattern: 'user:*', keys: undefined }],
    [{ kind: 'tags', tags: ['t1'] } as const, { tags: ['t1'], pattern: undefined }],
  ])('describes %j and notes the count by asyncEnd', async (target, expected) => {
    const recorder = record(CACHE_CHANNEL_NAMES.invalidate);
    try {
      await expect(traceInvalidate(manager, target, undefined, async () => 3)).resolves.toBe(3);
      expect(recorder.events[0].context).toMatchObject({
        kind: target.kind,
        count: undefined,
        ...expected,
      });
      expect(recorder.events.at(-1)!.context).toMatchObject({ count: 3, result: 3 });
    } finally {
      recorder.stop();
    }
  });
});

describe('publishError()', () => {
  it('publishes the CacheError with the manager and method', () => {
    const messages: CacheErrorMessage[] = [];
    const listener = (message: unknown): void => {
      messages.push(message as CacheErrorMessage);
    };
    subscribe(CACHE_CHANNEL_NAMES.error, listener);
    try {
      const error = new CacheError('REDIS_TIMEOUT', 'too slow', { operation: 'get', key: 'k' });
      publishError(manager, error, 'Users.find');
      expect(messages).toEqual([{ manager, keyPrefix: 'app:', method: 'Users.find', error }]);
    } finally {
      unsubscribe(CACHE_CHANNEL_NAMES.error, listener);
    }
  });
});

describe('the registry of live managers', () => {
  it('reports each registered manager through its probe until it unregisters', () => {
    let open = false;
    const first = registerManager({
      keyPrefix: 'a:',
      circuitOpen: () => open,
      l1Entries: () => 12,
    });
    const second = registerManager({
      keyPrefix: 'b:',
      circuitOpen: () => false,
      l1Entries: () => undefined,
    });
    try {
      expect(second.identity.id).toBeGreaterThan(first.identity.id);
      expect(Object.isFrozen(first.identity)).toBe(true);
      const ours = () =>
        observeCacheManagers().filter(
          (s) => s.manager === first.identity || s.manager === second.identity,
        );
      expect(ours()).toEqual([
        { manager: first.identity, circuitOpen: false, l1Entries: 12 },
        { manager: second.identity, circuitOpen: false, l1Entries: undefined },
      ]);
      open = true;
      expect(ours()[0].circuitOpen).toBe(true);
      first.unregister();
      first.unregister();
      expect(ours()).toEqual([
        { manager: second.identity, circuitOpen: false, l1Entries: undefined },
      ]);
    } finally {
      first.unregister();
      second.unregister();
    }
  });

  it('does not keep a manager alive: one nobody references drops out', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let id = 0;
    (() => {
      id = registerManager({
        keyPrefix: 'gone:',
        circuitOpen: () => false,
        l1Entries: () => undefined,
      }).identity.id;
    })();
    expect(observeCacheManagers().some((s) => s.manager.id === id)).toBe(true);
    // A WeakRef read in this job stays alive to its end: let the job end before collecting.
    for (let attempt = 0; attempt < 10; attempt++) {
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      if (!observeCacheManagers().some((s) => s.manager.id === id)) break;
    }
    expect(observeCacheManagers().some((s) => s.manager.id === id)).toBe(false);
  });
});
