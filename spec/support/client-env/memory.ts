// The integration project that runs the shared specs on one client family (see jest.config.js).
process.env.CACHE_ASIDE_TEST_CLIENT = 'memory';
import './leasing-reads';
