import { fullKeyOf } from '../entry/key-layout';
import type { TagStamp } from '../entry/entry-format';
import { assertKey, assertTtl } from '../errors/invalid-argument';
import type { SetOptions } from './cache-aside.options';
import { cacheChannels, traceSet } from './cache-channels';
import type { CacheCore } from './cache-core';
import { requestOf } from './cache-request';
import { assertSetOptions } from './options-validation';
import { expiryOf, nullTtlOf } from './ttl-policy';

/** What `set` needs of the manager's settings. */
export interface WriteSettings {
  readonly defaultTtl: number;
  readonly nullTtl: number | false | undefined;
  readonly jitter: number;
  readonly random: () => number;
}

/**
 * `set`: writes a value through the same encoding as `get`. It counts as an invalidation for
 * loads in flight (their older results will not overwrite it); a value that must not or cannot
 * be stored removes the old one instead, since the caller meant to replace it.
 */
export class WritePath {
  constructor(
    private readonly core: CacheCore,
    private readonly settings: WriteSettings,
    /** `invalidate(key)` of the manager: what replaces a write that cannot happen. */
    private readonly invalidate: (key: string) => Promise<unknown>,
  ) {}

  /** Checks the arguments, then writes, traced on `cache-aside:set` while someone subscribes. */
  async set(key: string, value: unknown, opts: SetOptions): Promise<void> {
    assertKey(key);
    assertSetOptions(opts);
    if (cacheChannels.set.hasSubscribers) {
      return traceSet(this.core.telemetry.identity, key, opts.label, () =>
        this.write(key, value, opts),
      );
    }
    return this.write(key, value, opts);
  }

  /** `set` past its checks. */
  private async write(key: string, value: unknown, opts: SetOptions): Promise<void> {
    const { core, settings } = this;
    const nullTtl = nullTtlOf(value, opts.nullTtl, settings.nullTtl);
    const ttl = nullTtl === false ? 0 : (nullTtl ?? opts.ttl ?? settings.defaultTtl);
    if (nullTtl !== false) assertTtl(ttl, 'ttl');
    const request = requestOf(
      key,
      fullKeyOf(core.keyPrefix, key),
      core.codecOf(opts.serializer),
      {},
      'set',
    );
    const { fullKey } = request;
    core.flights.forget(fullKey);
    core.local.drop({ kind: 'keys', keys: [fullKey] });
    if (nullTtl === false) {
      await this.invalidate(key);
      return;
    }
    let tags: TagStamp[] | undefined;
    if (opts.tags && opts.tags.length > 0) {
      tags = await core.reader.stamps(opts.tags, 'set', key);
      if (tags === undefined) {
        await this.invalidate(key);
        return;
      }
    }
    const now = Date.now();
    const expiry = expiryOf(ttl, 0, settings.jitter, settings.random, now);
    const stamp = { writtenAt: now, freshUntil: expiry.freshUntil, tags };
    const entry = core.writer.encode(value, request, stamp);
    if (entry === undefined) {
      await this.invalidate(key);
      return;
    }
    const epoch = core.local.epoch;
    try {
      await core.gateway.set(fullKey, entry, expiry.px);
      core.telemetry.stored(key);
      core.local.keep(fullKey, value, request.codec, stamp, entry.length, epoch);
      await core.local.tellOthers(fullKey, 'set', key);
    } catch (error) {
      core.telemetry.redisFailed(error, 'set', key, opts.label);
      core.invalidator.defer({ kind: 'keys', keys: [fullKey] }, 'set', key);
    }
  }
}
