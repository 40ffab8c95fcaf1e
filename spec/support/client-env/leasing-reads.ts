/**
 * Makes `leaseOnRead: 'always'` the default of every manager a spec builds without the option:
 * the family projects that load this (node-redis, iovalkey, memory; see jest.config.js) run the
 * manager, decorator and fault suites with the read that takes the lease, each on its client's
 * adapter. `integration` and the other projects keep the library's default ('auto', which a
 * spec's few reads leave on GET), so both reads run the whole suite.
 */
jest.mock('../../../lib/manager/cache-aside.defaults', () => {
  const actual = jest.requireActual<typeof import('../../../lib/manager/cache-aside.defaults')>(
    '../../../lib/manager/cache-aside.defaults',
  );
  return {
    ...actual,
    CACHE_ASIDE_DEFAULTS: Object.freeze({ ...actual.CACHE_ASIDE_DEFAULTS, leaseOnRead: 'always' }),
  };
});
process.env.CACHE_ASIDE_TEST_LEASE_ON_READ = 'always';
