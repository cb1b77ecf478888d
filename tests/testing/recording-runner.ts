import type { AsyncBody, JestStyleTestFunctions, NodeTestFunctions } from '../../src/testing';

/** A test a suite declared, with the timeout it asked the runner for. */
export interface DeclaredTest {
  /** The names of the enclosing `describe`s and of the test, joined with " › " as Jest prints them. */
  name: string;
  body: AsyncBody;
  timeoutMs: number | undefined;
}

/** A declared once-per-suite hook with the timeout it asked for. */
export interface DeclaredHook {
  kind: 'before' | 'after';
  hook: AsyncBody;
  timeoutMs: number | undefined;
}

/**
 * Records what a conformance suite declares instead of running it, so the tests can count and name
 * its tests, check the arguments each runner gets, and run the bodies themselves.
 */
class Declarations {
  readonly tests: DeclaredTest[] = [];
  readonly hooks: DeclaredHook[] = [];
  readonly #path: string[] = [];

  protected enter(name: string, body: () => void): void {
    this.#path.push(name);
    try {
      body();
    } finally {
      this.#path.pop();
    }
  }

  protected declareTest(name: string, body: AsyncBody, timeoutMs: number | undefined): void {
    this.tests.push({ name: [...this.#path, name].join(' › '), body, timeoutMs });
  }

  protected declareHook(kind: DeclaredHook['kind'], hook: AsyncBody, timeoutMs: number | undefined): void {
    this.hooks.push({ kind, hook, timeoutMs });
  }

  /** Runs the hooks and every test in order, as a runner would; answers each failed test's error. */
  async runAll(): Promise<Map<string, unknown>> {
    const failures = new Map<string, unknown>();
    for (const { hook } of this.hooks.filter((declared) => declared.kind === 'before')) await hook();
    for (const test of this.tests) {
      try {
        await test.body();
      } catch (error) {
        failures.set(test.name, error);
      }
    }
    for (const { hook } of this.hooks.filter((declared) => declared.kind === 'after')) await hook();
    return failures;
  }
}

/** Shaped like Jest's and Vitest's functions: a timeout is a number after the body. */
export class JestStyleRecorder extends Declarations implements JestStyleTestFunctions {
  describe = (name: string, body: () => void): void => this.enter(name, body);
  it = (name: string, body: AsyncBody, timeoutMs?: number): void => this.declareTest(name, body, timeoutMs);
  beforeAll = (hook: AsyncBody, timeoutMs?: number): void => this.declareHook('before', hook, timeoutMs);
  afterAll = (hook: AsyncBody, timeoutMs?: number): void => this.declareHook('after', hook, timeoutMs);
}

/** Shaped like node:test's functions: a timeout is an options object. */
export class NodeTestRecorder extends Declarations implements NodeTestFunctions {
  describe = (name: string, body: () => void): void => this.enter(name, body);
  it = (name: string, options: { timeout?: number }, body: AsyncBody): void =>
    this.declareTest(name, body, options.timeout);
  before = (hook: AsyncBody, options?: { timeout?: number }): void =>
    this.declareHook('before', hook, options?.timeout);
  after = (hook: AsyncBody, options?: { timeout?: number }): void => this.declareHook('after', hook, options?.timeout);
}
