/** Unit tests run anywhere; integration tests need Kafka and a Mongo-compatible store (see test/global-setup.ts). */
const shared = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: [
    '<rootDir>/shared/src',
    '<rootDir>/api-service/src',
    '<rootDir>/api-service/web/src',
    '<rootDir>/worker-service/src',
    '<rootDir>/client/src',
    '<rootDir>/test',
    '<rootDir>/scripts',
    '<rootDir>/bench',
  ],
  moduleNameMapper: {
    '^@uap/shared/(contract|runtime|activity-types)$': '<rootDir>/shared/src/$1/index.ts',
    '^@uap/shared/testing$': '<rootDir>/shared/src/testing/index.ts',
    '^@uap/shared/insights$': '<rootDir>/shared/src/contract/insights/funnel-steps.ts',
    '^@uap/client$': '<rootDir>/client/src/index.ts',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }] },
};

module.exports = {
  reporters: ['default', '<rootDir>/test/plain-summary-reporter.js'],
  // Integration suites wait on real brokers; every wait inside them is bounded well below this.
  testTimeout: 60_000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['**/*.test.ts'], testPathIgnorePatterns: ['\\.int\\.test\\.ts$'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['**/*.int.test.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
      setupFiles: ['<rootDir>/test/load-services-env.ts'],
    },
  ],
};
