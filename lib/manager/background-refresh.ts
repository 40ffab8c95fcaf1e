import type { CacheCore, Loader } from './cache-core';
import type { CacheRequest } from './cache-request';
import { identityOf } from '../entry/entry-format';
import type { FoundEntry } from './lookup';
import type { MissPath } from './miss-path';
import { SingleFlight } from './single-flight';

/**
 * Eager refresh and stale-while-revalidate: the caller was already answered with the current
 * value; one load per key refreshes it in the background, and the result replaces the entry only
 * if nothing else replaced it meanwhile (same entry id) — an invalidation or a newer write wins.
 */
export class BackgroundRefresh {
  /** Refreshes in flight in this process, one per key. */
  readonly flights = new SingleFlight();

  constructor(
    private readonly core: CacheCore,
    private readonly missPath: MissPath,
  ) {}

  refresh<T>(request: CacheRequest<T>, loader: Loader<T>, found: FoundEntry): void {
    const { core } = this;
    const { fullKey, key, opts } = request;
    const identity = identityOf(found.raw);
    const refresh = this.flights.run(fullKey, async () => {
      const epoch = core.local.epoch;
      try {
        const wanted = opts.tags !== undefined && opts.tags.length > 0 ? opts.tags : undefined;
        const wantsTags = wanted !== undefined;
        const tags = wantsTags ? await core.reader.stamps(wanted, 'refresh', key) : undefined;
        const value = await this.missPath.callLoader(request, loader);
        if (wantsTags && tags === undefined) return;
        const entry = core.writer.prepare(value, request, tags, 'refresh');
        if (entry === undefined) return;
        if (await core.gateway.replaceIfUnchanged(fullKey, identity, entry.bytes, entry.px)) {
          core.telemetry.stored(key);
          core.local.keep(
            fullKey,
            value,
            request.codec,
            entry,
            entry.bytes.length,
            epoch,
            opts.eagerRefresh,
          );
          await core.local.tellOthers(fullKey, 'refresh', key);
        }
      } catch (error) {
        core.telemetry.report(
          'REFRESH_FAILED',
          'the background refresh failed; the current value keeps answering',
          'refresh',
          key,
          error,
          request.label,
        );
      }
    });
    core.background.track(refresh);
  }
}
