/**
 * Where an entry stands in its life: fresh until its TTL, then stale during the grace window
 * (served only when a reload fails), then expired (Redis drops it; nothing serves it).
 */
export type Freshness = 'fresh' | 'stale' | 'expired';

/** @param pttl Redis PTTL of the key: ms left, -1 for no expiry, -2 when it is gone. */
export function freshnessOf(freshUntil: number, pttl: number, now: number): Freshness {
  if (pttl === -2) return 'expired';
  return now < freshUntil ? 'fresh' : 'stale';
}

/** Milliseconds as a short human duration: `850ms`, `42s`, `3m 5s`, `2h 10m`, `4d 3h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'never';
  const sign = ms < 0 ? '-' : '';
  let left = Math.abs(Math.round(ms));
  if (left < 1000) return `${sign}${left}ms`;
  left = Math.round(left / 1000);
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  for (const [unit, size] of units) {
    if (left >= size || (parts.length > 0 && parts.length < 2)) {
      parts.push(`${Math.floor(left / size)}${unit}`);
      left %= size;
    }
    if (parts.length === 2) break;
  }
  return sign + parts.join(' ');
}

/** Redis PTTL for people: `none` for no expiry, `gone` when the key expired meanwhile. */
export function formatPttl(pttl: number): string {
  if (pttl === -1) return 'none';
  if (pttl === -2) return 'gone';
  return formatDuration(pttl);
}
