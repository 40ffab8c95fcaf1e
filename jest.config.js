/**
 * Three projects over one code base:
 * - unit:        hermetic specs (fakes, ioredis-mock), legacy decorators (experimentalDecorators)
 * - unit-tc39:   the decorator specs again, compiled with standard (TC39) decorators
 * - integration: real redis-server processes started by spec/support/global-setup.ts
 * `npm test` runs all three with coverage; thresholds below are enforced.
 */
const tsJest = (tsconfig) => ({
  '^.+\\.ts$': ['ts-jest', { tsconfig, isolatedModules: false, diagnostics: { warnOnly: false } }],
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
  ],
  testTimeout: 30000,
  collectCoverageFrom: ['lib/**/*.ts'],
  coverageThreshold: {
    global: { lines: 90, branches: 90, functions: 90, statements: 90 },
  },
  coverageReporters: ['text-summary', 'lcov'],
};
