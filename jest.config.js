/**
 * ts-jest on CommonJS. nanoid is pinned to v3 (the last line that ships CommonJS) so Jest needs no ESM
 * mode or module mapper: see README, "Design choices".
 * @type {import('jest').Config}
 */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  collectCoverageFrom: ['src/**/*.ts', '!src/**/index.ts'],
  coverageReporters: ['text-summary', 'text'],
  // `npm test -- --coverage` fails when the domain drops below 90% of statements (issue: domain core).
  coverageThreshold: { './src/domain/': { statements: 90 } },
  reporters: ['default', '<rootDir>/tests/support/summary-reporter.js'],
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  testTimeout: 30000,
};
