/**
 * Test helpers for integrators (`accounts-module/testing`): the conformance suites that every `Io`
 * and `RateLimitStore` must pass, and entity builders for writing more tests. The suites assert with
 * `node:assert` and take the runner's test functions, so they run under Jest, Vitest and node:test.
 */
export * from './fixtures';
export { type IoConformanceSetup, runIoConformanceTests } from './io-conformance';
export { type RateLimitStoreConformanceSetup, runRateLimitStoreConformanceTests } from './rate-limit-conformance';
export {
  type AsyncBody,
  type JestStyleTestFunctions,
  MissingTestFunctionsError,
  type NodeTestFunctions,
  type TestFunctions,
} from './test-functions';
