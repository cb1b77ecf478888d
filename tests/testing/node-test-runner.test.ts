import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { MemoryIo, MemoryRateLimitStore } from '../../src/adapters/memory';
import { runIoConformanceTests, runRateLimitStoreConformanceTests } from '../../src/testing';
import { JestStyleRecorder } from './recording-runner';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const SUITE_FILE = path.join(__dirname, 'conformance-under-node-test.ts');

/** The names of the tests both suites declare, as node:test reports them (the test's own name). */
function declaredTestNames(): string[] {
  const recorder = new JestStyleRecorder();
  runIoConformanceTests('names', { create: async () => new MemoryIo(), test: recorder });
  runRateLimitStoreConformanceTests('names', { create: async () => new MemoryRateLimitStore(), test: recorder });
  return recorder.tests.map((test) => test.name.split(' › ').at(-1)!);
}

/** A summary line of node:test's TAP output, such as `# pass 82`. */
function summary(tap: string, field: string): number {
  const match = new RegExp(`^# ${field} (\\d+)$`, 'm').exec(tap);
  if (!match) throw new Error(`no "# ${field}" line in the TAP output:\n${tap}`);
  return Number(match[1]);
}

describe('the conformance suites under node:test', () => {
  it('pass on the memory adapters, every declared test run and none failed', async () => {
    const names = declaredTestNames();
    const { stdout } = await run(process.execPath, ['--test', '--test-reporter=tap', '--import', 'tsx', SUITE_FILE], {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(summary(stdout, 'fail')).toBe(0);
    expect(summary(stdout, 'cancelled')).toBe(0);
    expect(summary(stdout, 'skipped')).toBe(0);
    expect(summary(stdout, 'tests')).toBe(names.length);
    expect(summary(stdout, 'pass')).toBe(names.length);
    const passed = new Set([...stdout.matchAll(/^\s*ok \d+ - (.+)$/gm)].map((match) => match[1]));
    expect(names.filter((name) => !passed.has(name))).toEqual([]);
  }, 120_000);
});
