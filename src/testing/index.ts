/**
 * Test helpers for integrators (`accounts-module/testing`): the conformance suites that every `Io`
 * and `RateLimitStore` must pass, and entity builders for writing more tests.
 */
export * from './fixtures';
export { type IoConformanceSetup, runIoConformanceTests } from './io-conformance';
export { type RateLimitStoreConformanceSetup, runRateLimitStoreConformanceTests } from './rate-limit-conformance';
