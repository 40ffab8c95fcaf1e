import {
  ENTRY_HEAD_LENGTH,
  expiryPatch,
  hasTagSection,
  isLeaseMarker,
  readEntryHead,
  tagStampsOf,
} from '../entry/entry-format';
import type { CacheOperation } from '../errors/cache-error';
import { fullKeyOf } from '../entry/key-layout';
import { assertKey, assertTtl } from '../errors/invalid-argument';
import type { CacheCore } from './cache-core';

/**
 * `getTtl` / `setTtl`: an entry's remaining life as the caller set it (its logical expiry, not
 * the grace window after it), read and rewritten through the entry format's head.
 */
export class TtlOperations {
  constructor(private readonly core: CacheCore) {}

  /**
   * Seconds left of the entry's TTL (rounded up, so a live entry never reports 0), `-1` for no
   * expiry, `-2` when there is no entry. A grace window after the TTL is not counted.
   */
  async getTtl(key: string): Promise<number> {
    assertKey(key);
    const { core } = this;
    const fullKey = fullKeyOf(core.keyPrefix, key);
    // An invalidation of the key is queued: whatever Redis still holds is no entry any more.
    if (core.invalidator.covers(fullKey)) return -2;
    try {
      const { pttl, head } = await core.gateway.inspect(fullKey, ENTRY_HEAD_LENGTH);
      // A lease, or a value that is not our entry (another application's key): no entry of ours.
      const entryHead = pttl === -2 || isLeaseMarker(head) ? undefined : readEntryHead(head);
      if (entryHead === undefined) return -2;
      if (!(await this.tagsStillValid(fullKey, head, key, 'getTtl'))) return -2;
      const { freshUntil } = entryHead;
      if (pttl === -1 && !Number.isFinite(freshUntil)) return -1;
      const leftMs = Number.isFinite(freshUntil) ? freshUntil - Date.now() : pttl;
      return Math.max(0, Math.ceil(Math.min(leftMs, pttl === -1 ? leftMs : pttl) / 1000));
    } catch (error) {
      core.telemetry.redisFailed(error, 'getTtl', key);
      return -2;
    }
  }

  /**
   * Sets a new TTL (seconds, or `Infinity`), replacing any grace window; `false` where no entry
   * exists (a key being loaded has no entry yet).
   */
  async setTtl(key: string, seconds: number): Promise<boolean> {
    assertKey(key);
    assertTtl(seconds, 'seconds');
    const { core } = this;
    const fullKey = fullKeyOf(core.keyPrefix, key);
    const px = seconds === Infinity ? 0 : Math.max(1, Math.round(seconds * 1000));
    if (core.invalidator.covers(fullKey)) return false;
    try {
      const { pttl, head } = await core.gateway.inspect(fullKey, ENTRY_HEAD_LENGTH);
      // Not our entry (a lease, another application's value): its expiry is not ours to change.
      if (pttl === -2 || isLeaseMarker(head) || readEntryHead(head) === undefined) return false;
      if (!(await this.tagsStillValid(fullKey, head, key, 'setTtl'))) return false;
      const patch = expiryPatch(head, px === 0 ? Infinity : Date.now() + px);
      const changed = await core.gateway.setEntryTtl(fullKey, px, patch);
      if (changed) {
        // Copies in process keep the expiry they were read with: drop them here and elsewhere.
        core.local.drop({ kind: 'keys', keys: [fullKey] });
        await core.local.tellOthers(fullKey, 'setTtl', key);
      }
      return changed;
    } catch (error) {
      core.telemetry.redisFailed(error, 'setTtl', key);
      return false;
    }
  }

  /**
   * False when the entry carries a tag invalidated since it was loaded: a read would not serve
   * it, so it is no entry. Only a tagged entry costs more: one GET of it, then its tag versions.
   */
  private async tagsStillValid(
    fullKey: string,
    head: Buffer,
    key: string,
    operation: CacheOperation,
  ): Promise<boolean> {
    if (!hasTagSection(head)) return true;
    const { core } = this;
    const whole = await core.gateway.get(fullKey);
    if (whole === null || !whole.subarray(0, head.length).equals(head)) return false;
    let stamps;
    try {
      stamps = tagStampsOf(whole);
    } catch {
      return false; // a corrupt tag section: a read would not serve it either
    }
    return stamps === undefined || (await core.reader.stillValid(stamps, key, operation));
  }
}
