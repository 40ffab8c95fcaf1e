/**
 * Three projects over one code base:
 * - unit:        hermetic specs (fakes, ioredis-mock), legacy decorators (experimentalDecorators)
 * - unit-tc39:   the decorator specs again, compiled with standard (TC39) decorators
 * - integration: real redis-server processes started by spec/support/global-setup.ts
 * - integration:<client>: the fault, manager and decorator specs again on another client family
 *   (node-redis, iovalkey, ioredis 6), and the manager suite on the embedded memory store
 *   (integration:memory, no server); every family also runs
 *   spec/integration/clients/client-families.redis.spec.ts inside `integration`.
 * `npm test` runs them all with coverage; thresholds below are enforced.
 */
const tsJest = (tsconfig) => ({
  '^.+\\.ts$': ['ts-jest', { tsconfig, isolatedModules: false, diagnostics: { warnOnly: false } }],
});

/**
 * Specs whose client under test comes from the family switch (CACHE_ASIDE_TEST_CLIENT, set by
 * spec/support/client-env/<client>.ts): the fault kit's client, or familyUnderTest() of
 * spec/support/client-families.ts. What they inspect goes through a plain ioredis admin.
 */
const FAMILY_SPECS = [
  ...[
    'corrupt-and-wrong-type',
    'hung-server',
    'killed-and-restarted',
    'late-writes',
    'close-drain',
    'oom-invalidation',
    'not-running-at-start',
    'out-of-memory',
    'pending-invalidation',
    'replay-after-stall',
    'slow-command',
    'stalled-process',
  ].map((name) => `<rootDir>/spec/integration/faults/${name}.spec.ts`),
  '<rootDir>/spec/integration/manager/manager.redis.spec.ts',
  '<rootDir>/spec/integration/decorators/*.redis.spec.ts',
];

const familyProject = (client, testMatch = FAMILY_SPECS, servers = true) => ({
  ...common,
  displayName: `integration:${client}`,
  testMatch,
  transform: tsJest('tsconfig.json'),
  setupFiles: [`<rootDir>/spec/support/client-env/${client}.ts`],
  ...(servers && {
    globalSetup: '<rootDir>/spec/support/global-setup.ts',
    globalTeardown: '<rootDir>/spec/support/global-teardown.ts',
  }),
});

/**
 * The manager, decorator and L1 specs again as a Redis ACL user confined to the test keys
 * (docs/security.md's line, -@dangerous), and with -@scripting too: users made by the global
 * setup, switched to by spec/support/acl-env/. The whole integration suite would add too much
 * CI time for what these cover; the security specs run their own ACL servers.
 */
const ACL_SPECS = [
  'manager/manager.redis',
  'decorators/decorators.redis',
  'decorators/cacheable-many.redis',
  'l1/l1-coherence.redis',
].map((name) => `<rootDir>/spec/integration/${name}.spec.ts`);

const aclProject = (name, user) => ({
  ...common,
  displayName: `integration:${name}`,
  testMatch: ACL_SPECS,
  transform: tsJest('tsconfig.json'),
  setupFiles: [`<rootDir>/spec/support/acl-env/${user}.ts`],
  globalSetup: '<rootDir>/spec/support/global-setup.ts',
  globalTeardown: '<rootDir>/spec/support/global-teardown.ts',
});

const common = {
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  collectCoverageFrom: ['lib/**/*.ts'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/spec/unit/**/*.spec.ts'],
      transform: tsJest('tsconfig.json'),
    },
    {
      ...common,
      displayName: 'unit-tc39',
      testMatch: ['<rootDir>/spec/unit/decorators/**/*.spec.ts'],
      transform: tsJest('tsconfig.tc39.json'),
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/spec/integration/**/*.spec.ts'],
      transform: tsJest('tsconfig.json'),
      globalSetup: '<rootDir>/spec/support/global-setup.ts',
      globalTeardown: '<rootDir>/spec/support/global-teardown.ts',
    },
    // A Cluster master killed (6 servers of its own): ioredis 5 in `integration`, and node-redis,
    // whose own failover differs; iovalkey and ioredis 6 share ioredis's Cluster code.
    familyProject('node-redis', [
      ...FAMILY_SPECS,
      '<rootDir>/spec/integration/faults/cluster-failover.spec.ts',
      '<rootDir>/spec/integration/faults/cluster-pattern-failover.spec.ts',
    ]),
    familyProject('iovalkey'),
    familyProject('ioredis6'),
    // The embedded store: the manager suite only (no server, no faults to inject).
    familyProject('memory', ['<rootDir>/spec/integration/manager/manager.redis.spec.ts'], false),
    aclProject('acl', 'dangerous'),
    aclProject('acl-noscript', 'scripting'),
  ],
  testTimeout: 30000,
  collectCoverageFrom: ['lib/**/*.ts'],
  coverageThreshold: {
    global: { lines: 90, branches: 90, functions: 90, statements: 90 },
  },
  coverageReporters: ['text-summary', 'lcov'],
};
