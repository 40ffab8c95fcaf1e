import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CacheError } from '../../../lib';
import {
  noteBatch,
  noteLookup,
  publishError,
  registerManager,
  traceGet,
  traceGetMany,
  traceInvalidate,
  traceLoad,
  type CacheLookupOutcome,
  type CacheManagerIdentity,
  type CacheTier,
} from '../../../lib/manager/cache-channels';
import {
  startMetricsEndpoint,
  type MetricsEndpoint,
} from '../../../samples/prometheus/metrics-endpoint';
import { freePort } from '../../support/redis-server';

/**
 * The Grafana dashboard against what the Prometheus exporter really serves: the sample's own
 * wiring (samples/prometheus/metrics-endpoint.ts) on a free loopback port, traffic published on
 * the channels as the manager publishes it, one scrape of /metrics over HTTP, and every metric
 * and label each dashboard query names looked up in that scrape.
 */

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of ((match[2] as string | undefined) ?? '').matchAll(
      /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g,
    ))
      labels[pair[1]] = pair[2];
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** PromQL words that are not metric names. */
const PROMQL_WORDS = new Set([
  'sum',
  'max',
  'min',
  'avg',
  'count',
  'rate',
  'irate',
  'increase',
  'histogram_quantile',
  'label_values',
]);
/** Labels Prometheus adds when it scrapes; the exporter cannot serve them. */
const TARGET_LABELS = new Set(['job', 'instance']);

interface QueryNames {
  readonly metrics: Set<string>;
  readonly labels: Set<string>;
}

/** The metric and label names a PromQL expression (or a `label_values(...)` query) uses. */
function namesIn(expr: string): QueryNames {
  const labels = new Set<string>();
  let rest = expr.replace(/\{([^}]*)\}/g, (_, matchers: string) => {
    for (const m of matchers.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g))
      labels.add(m[1]);
    return ' ';
  });
  rest = rest.replace(/\b(?:by|without)\s*\(([^)]*)\)/g, (_, list: string) => {
    for (const name of list.split(',')) if (name.trim()) labels.add(name.trim());
    return ' ';
  });
  rest = rest.replace(
    /label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*([a-zA-Z_]\w*)\s*\)/g,
    (_, m: string, l: string) => {
      labels.add(l);
      return ` ${m} `;
    },
  );
  rest = rest.replace(/\[[^\]]*\]/g, ' ').replace(/"[^"]*"/g, ' ');
  const metrics = new Set<string>();
  for (const word of rest.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []) {
    if (!PROMQL_WORDS.has(word)) metrics.add(word);
  }
  return { metrics, labels };
}

interface DashboardQuery {
  readonly where: string;
  readonly expr: string;
}

/** Every query in the dashboard: each panel target's `expr`, and each templating query. */
function dashboardQueries(): DashboardQuery[] {
  const file = join(__dirname, '..', '..', '..', 'dashboards', 'grafana.json');
  const dashboard = JSON.parse(readFileSync(file, 'utf8')) as {
    panels: Array<{ title: string; targets?: Array<{ expr?: string }> }>;
    templating: { list: Array<{ name: string; query?: string | { query?: string } }> };
  };
  const queries: DashboardQuery[] = [];
  for (const panel of dashboard.panels)
    for (const target of panel.targets ?? [])
      if (target.expr !== undefined)
        queries.push({ where: `panel "${panel.title}"`, expr: target.expr });
  for (const variable of dashboard.templating.list) {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    if (query?.startsWith('label_values'))
      queries.push({ where: `variable $${variable.name}`, expr: query });
  }
  return queries;
}

/** The traffic of a small service: every kind of event the dashboard shows, at least once. */
async function publishTraffic(manager: CacheManagerIdentity): Promise<void> {
  const read = (
    key: string,
    method: string | undefined,
    outcome: CacheLookupOutcome,
    tier?: CacheTier,
  ) =>
    traceGet(manager, key, method, async (t) => {
      noteLookup(t, outcome, tier);
      if (outcome === 'hit' || outcome === 'stale') return 'value';
      return traceLoad(manager, key, method, async () => {
        await new Promise((resolve) => setImmediate(resolve));
        if (key.endsWith(':broken')) throw new RangeError('bad row');
        return 'loaded';
      });
    });
  for (let i = 0; i < 20; i++) await read(`product:${i % 4}`, 'Products.find', 'hit', 'redis');
  for (let i = 0; i < 10; i++) await read(`product:${i % 4}`, 'Products.find', 'hit', 'l1');
  await read('product:9', 'Products.find', 'stale', 'redis');
  for (let i = 0; i < 5; i++) await read(`product:${10 + i}`, 'Products.find', 'miss');
  await read('product:broken', 'Products.find', 'miss').catch(() => undefined);
  await read('user:1', undefined, 'bypass');
  await traceGetMany(manager, ['a', 'b', 'c'], 'Products.findMany', async (t) => {
    noteBatch(t, 1, 1, 1, false);
    return traceLoad(manager, ['c'], 'Products.findMany', () => ['c']);
  });
  await traceInvalidate(manager, { kind: 'key', keys: ['product:1'] }, undefined, async () => 1);
  await traceInvalidate(
    manager,
    { kind: 'pattern', pattern: 'product:*' },
    undefined,
    async () => 3,
  );
  await traceInvalidate(manager, { kind: 'tags', tags: ['catalogue'] }, undefined, async () => 1);
  publishError(
    manager,
    new CacheError('REDIS_TIMEOUT', 'slow', { operation: 'get' }),
    'Products.find',
  );
  publishError(
    manager,
    new CacheError('DECODE_FAILED', 'bad bytes', { operation: 'get' }),
    undefined,
  );
}

describe('dashboards/grafana.json against the Prometheus exporter', () => {
  let endpoint: MetricsEndpoint;
  let samples: Sample[];
  const registration = registerManager({
    keyPrefix: 'shop:',
    circuitOpen: () => false,
    l1Entries: () => 42,
  });

  beforeAll(async () => {
    endpoint = await startMetricsEndpoint(await freePort());
    await publishTraffic(registration.identity);
    const response = await fetch(endpoint.url);
    expect(response.status).toBe(200);
    samples = parseExposition(await response.text());
  });

  afterAll(async () => {
    registration.unregister();
    await endpoint.close();
  });

  it('serves the metrics under the names the dashboard was written for', () => {
    const names = new Set(samples.map((s) => s.name));
    for (const name of [
      'cache_aside_lookups_total',
      'cache_aside_load_duration_bucket',
      'cache_aside_load_duration_count',
      'cache_aside_load_duration_sum',
      'cache_aside_errors_total',
      'cache_aside_invalidations_total',
      'cache_aside_circuit_open',
      'cache_aside_l1_entries',
    ])
      expect(names).toContain(name);
  });

  it('counts what was published, with labels as Prometheus shows them', () => {
    const value = (name: string, labels: Record<string, string>): number | undefined =>
      samples.find(
        (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      )?.value;
    expect(
      value('cache_aside_lookups_total', {
        cache_aside_outcome: 'hit',
        cache_aside_tier: 'redis',
        cache_aside_method: 'Products.find',
      }),
    ).toBe(20);
    expect(
      value('cache_aside_lookups_total', {
        cache_aside_outcome: 'miss',
        cache_aside_method: 'Products.find',
      }),
    ).toBe(6);
    expect(
      value('cache_aside_load_duration_count', {
        cache_aside_method: 'Products.find',
        error_type: 'RangeError',
      }),
    ).toBe(1);
    expect(value('cache_aside_errors_total', { error_type: 'REDIS_TIMEOUT' })).toBe(1);
    expect(value('cache_aside_invalidations_total', { cache_aside_kind: 'pattern' })).toBe(1);
    expect(value('cache_aside_circuit_open', { cache_aside_key_prefix: 'shop:' })).toBe(0);
    expect(value('cache_aside_l1_entries', { cache_aside_key_prefix: 'shop:' })).toBe(42);
  });

  it('finds every metric and label each dashboard query uses in the scrape', () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThanOrEqual(12);
    const missing: string[] = [];
    for (const { where, expr } of queries) {
      const { metrics, labels } = namesIn(expr);
      expect(metrics.size).toBeGreaterThan(0);
      const served = samples.filter((s) => metrics.has(s.name));
      for (const metric of metrics)
        if (!served.some((s) => s.name === metric)) missing.push(`${where}: metric ${metric}`);
      for (const label of labels) {
        if (TARGET_LABELS.has(label)) continue;
        if (!served.some((s) => label in s.labels)) missing.push(`${where}: label ${label}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('catches a query that names a metric the exporter does not serve', () => {
    const { metrics, labels } = namesIn(
      'histogram_quantile(0.95, sum by (le, cache_aside_method) (rate(cache_aside_load_duration_seconds_bucket{job=~"$job"}[$__rate_interval])))',
    );
    expect([...metrics]).toEqual(['cache_aside_load_duration_seconds_bucket']);
    expect([...labels].sort()).toEqual(['cache_aside_method', 'job', 'le']);
    expect(samples.some((s) => s.name === 'cache_aside_load_duration_seconds_bucket')).toBe(false);
  });
});
