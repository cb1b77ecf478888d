export { type IoMethodName, MemoryIo } from './memory-io';
export { MemoryRateLimitStore } from './memory-rate-limits';
