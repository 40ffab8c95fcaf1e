import { formatDuration, formatPttl, freshnessOf } from '../../../lib/cli/freshness';
import { isPattern } from '../../../lib/cli/invalidate-command';
import { NamespaceStats, namespaceOf } from '../../../lib/cli/namespace-stats';
import { ProgressBar, render } from '../../../lib/cli/progress-bar';
import { TtlHistogram } from '../../../lib/cli/ttl-histogram';
import { jsonSafe, previewValue } from '../../../lib/cli/value-preview';

describe('the parts of stats, ls and invalidate', () => {
  it('names freshness from fresh-until and the Redis TTL', () => {
    expect(freshnessOf(2000, 5000, 1000)).toBe('fresh');
    expect(freshnessOf(Infinity, -1, 1000)).toBe('fresh');
    expect(freshnessOf(500, 5000, 1000)).toBe('stale');
    expect(freshnessOf(500, -2, 1000)).toBe('expired');
  });

  it('formats durations and TTLs', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(185_000)).toBe('3m 5s');
    expect(formatDuration(2 * 3600_000 + 600_000)).toBe('2h 10m');
    expect(formatDuration(Infinity)).toBe('never');
    expect(formatPttl(-1)).toBe('none');
    expect(formatPttl(-2)).toBe('gone');
  });

  it('keeps a median within 5 % in constant memory', () => {
    const histogram = new TtlHistogram();
    expect(histogram.quantile(0.5)).toBeUndefined();
    for (let i = 1; i <= 10_001; i++) histogram.add(i * 10);
    const p50 = histogram.quantile(0.5)!;
    expect(Math.abs(p50 - 50_010) / 50_010).toBeLessThan(0.05);
    histogram.add(0);
    expect(histogram.count).toBe(10_002);
  });

  it('tallies keys per namespace, and folds namespaces past the cap into (other)', () => {
    const stats = new NamespaceStats('p:', 2);
    const entry = (key: string, freshUntil: number, pttl = 1000) => ({
      key,
      pttl,
      size: 10,
      head: { type: 'entry' as const, freshUntil },
    });
    stats.add(entry('p:a:1', 2000), 1000);
    stats.add(entry('p:a:2', 500), 1000);
    stats.add({ key: 'p:a:3', pttl: 100, size: 5, head: { type: 'lease' } }, 1000);
    stats.add({ key: 'p:b', pttl: -1, size: 3, head: { type: 'undecodable' } }, 1000);
    stats.add({ key: 'p:c:1', pttl: -1, size: 3, head: { type: 'wrong-type' } }, 1000);
    stats.add(entry('p:d:1', 2000, -2), 1000); // gone since the scan: not counted
    expect(stats.summaries()).toEqual([
      {
        namespace: 'a',
        keys: 3,
        entries: 2,
        bytes: 25,
        staleFraction: 0.5,
        ttlP50Ms: expect.any(Number) as number,
        leases: 1,
        undecodable: 0,
      },
      {
        namespace: 'b',
        keys: 1,
        entries: 0,
        bytes: 3,
        staleFraction: 0,
        ttlP50Ms: null,
        leases: 0,
        undecodable: 1,
      },
      {
        namespace: '(other)',
        keys: 1,
        entries: 0,
        bytes: 3,
        staleFraction: 0,
        ttlP50Ms: null,
        leases: 0,
        undecodable: 1,
      },
    ]);
    expect(namespaceOf('user:1:x')).toBe('user');
    expect(namespaceOf('plain')).toBe('plain');
  });

  it('tells keys from patterns', () => {
    expect(isPattern('user:*')).toBe(true);
    expect(isPattern('user:?')).toBe(true);
    expect(isPattern('user:[ab]')).toBe(true);
    expect(isPattern('user:1')).toBe(false);
    expect(isPattern('literal\\*star')).toBe(false);
    expect(isPattern('escaped\\\\*')).toBe(true);
  });

  it('draws a progress bar only when enabled, at most every 100 ms', () => {
    expect(render('scanning', 5, 0.5)).toBe(
      `scanning [${'#'.repeat(15)}${'-'.repeat(15)}]  50% 5 keys`,
    );
    expect(render('scanning', 5, undefined)).toBe('scanning: 5 keys');
    let clock = 0;
    const drawn: string[] = [];
    const bar = new ProgressBar(
      (text) => drawn.push(text),
      true,
      'x',
      () => clock,
    );
    bar.update(1, 0.1);
    clock = 50;
    bar.update(2, 0.2);
    clock = 200;
    bar.update(3, 0.3);
    bar.finish(4);
    expect(drawn).toHaveLength(4);
    expect(drawn[3]).toBe('\n');
    const off: string[] = [];
    const quiet = new ProgressBar((text) => off.push(text), false, 'x');
    quiet.update(1, 0.5);
    quiet.finish(1);
    expect(off).toEqual([]);
  });

  it('previews values bounded, and makes them JSON-safe', () => {
    expect(previewValue({ a: 1 }, 100)).toBe('{ a: 1 }');
    const long = previewValue('x'.repeat(5000), 50);
    expect(long.length).toBeLessThan(120);
    expect(long).toMatch(/more characters; --max-chars or --raw\)$/);
    expect(jsonSafe({ n: 10n, d: new Date(0), m: new Map([[1, 2]]) })).toEqual({
      n: '10n',
      d: '1970-01-01T00:00:00.000Z',
      m: 'Map(1) { 1 => 2 }',
    });
    expect(jsonSafe(undefined)).toBeNull();
  });
});
