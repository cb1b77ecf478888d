import { MemoryIo, MemoryRateLimitStore } from '../../src/adapters/memory';
import {
  type JestStyleTestFunctions,
  MissingTestFunctionsError,
  runIoConformanceTests,
  runRateLimitStoreConformanceTests,
} from '../../src/testing';
import { JestStyleRecorder, NodeTestRecorder } from './recording-runner';

const GLOBAL_NAMES = ['describe', 'it', 'beforeAll', 'afterAll'] as const;

/** Runs `declare` with Jest's four global functions replaced, then puts Jest's back. */
function withGlobals(replacement: Partial<JestStyleTestFunctions>, declare: () => void): void {
  const scope = globalThis as Record<string, unknown>;
  const saved = GLOBAL_NAMES.map((name) => scope[name]);
  try {
    for (const name of GLOBAL_NAMES) scope[name] = replacement[name];
    declare();
  } finally {
    GLOBAL_NAMES.forEach((name, index) => {
      scope[name] = saved[index];
    });
  }
}

describe('the test functions the conformance suites declare their tests with', () => {
  it('hands Jest-style functions the timeout as a number after the body, for every test and hook', () => {
    const recorder = new JestStyleRecorder();
    runRateLimitStoreConformanceTests('memory', {
      create: async () => new MemoryRateLimitStore(),
      test: recorder,
      timeoutMs: 1234,
    });
    expect(recorder.tests).toHaveLength(9);
    expect(new Set(recorder.tests.map((test) => test.timeoutMs))).toEqual(new Set([1234]));
    expect(recorder.hooks.map((hook) => [hook.kind, hook.timeoutMs])).toEqual([
      ['before', 1234],
      ['after', 1234],
    ]);
  });

  it('hands node:test functions the timeout as an options object, for every test and hook', () => {
    const recorder = new NodeTestRecorder();
    runRateLimitStoreConformanceTests('memory', {
      create: async () => new MemoryRateLimitStore(),
      test: recorder,
      timeoutMs: 4321,
    });
    expect(recorder.tests).toHaveLength(9);
    expect(new Set(recorder.tests.map((test) => test.timeoutMs))).toEqual(new Set([4321]));
    expect(recorder.hooks.map((hook) => [hook.kind, hook.timeoutMs])).toEqual([
      ['before', 4321],
      ['after', 4321],
    ]);
  });

  it("leaves the runner's default timeout alone when none is given", () => {
    const recorder = new JestStyleRecorder();
    runIoConformanceTests('memory', { create: async () => new MemoryIo(), test: recorder });
    expect(recorder.tests.every((test) => test.timeoutMs === undefined)).toBe(true);
  });

  it('declares the same tests, under the same names, whatever the runner', () => {
    const jest = new JestStyleRecorder();
    const node = new NodeTestRecorder();
    for (const test of [jest, node]) {
      runIoConformanceTests('memory', { create: async () => new MemoryIo(), test });
      runRateLimitStoreConformanceTests('memory', { create: async () => new MemoryRateLimitStore(), test });
    }
    expect(jest.tests.length).toBe(120 + 9 + 14);
    expect(node.tests.map((test) => test.name)).toEqual(jest.tests.map((test) => test.name));
    expect(new Set(jest.tests.map((test) => test.name)).size).toBe(jest.tests.length);
  });

  it('uses the global describe, it, beforeAll and afterAll when no functions are given', () => {
    const recorder = new JestStyleRecorder();
    withGlobals(recorder, () => {
      runRateLimitStoreConformanceTests('memory', { create: async () => new MemoryRateLimitStore() });
    });
    expect(recorder.tests.map((test) => test.name)).toContain(
      'RateLimitStore conformance: memory › starts a window at the first hit of a key',
    );
    expect(recorder.hooks).toHaveLength(2);
  });

  it('refuses to start without test functions, saying which ones to pass', () => {
    withGlobals({}, () => {
      const declare = () => runIoConformanceTests('memory', { create: async () => new MemoryIo() });
      expect(declare).toThrow(MissingTestFunctionsError);
      expect(declare).toThrow(/runIoConformanceTests needs .*describe, it, before, after.*'node:test'/);
    });
  });

  it('passes every test it declares when run against MemoryIo', async () => {
    const recorder = new JestStyleRecorder();
    runIoConformanceTests('memory', { create: async () => new MemoryIo(), test: recorder });
    expect([...(await recorder.runAll()).keys()]).toEqual([]);
  });
});
