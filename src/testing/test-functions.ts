/**
 * The one place that knows the test runners: the conformance suites declare their tests through a
 * {@link SuiteRunner}, and this file builds one from Jest's, Vitest's or node:test's functions.
 * The runners agree on `describe(name, body)` and `it(name, body)`; they differ in the names of the
 * once-per-suite hooks (`beforeAll`/`afterAll` against `before`/`after`) and in how a timeout is given
 * (a number after the body against an options object before it), and those two differences travel
 * together, so the hook names tell which runner the functions come from.
 */

/** The body of a test or hook of the suites: always asynchronous, never a `done` callback. */
export type AsyncBody = () => Promise<void>;

/**
 * Jest's and Vitest's functions (`import { describe, it, beforeAll, afterAll } from 'vitest'`, or
 * Jest's globals): a timeout is a number after the body. Typed structurally, so neither `@types/jest`
 * nor Vitest is needed to compile against it.
 */
export interface JestStyleTestFunctions {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: AsyncBody, timeoutMs?: number): unknown;
  beforeAll(hook: AsyncBody, timeoutMs?: number): unknown;
  afterAll(hook: AsyncBody, timeoutMs?: number): unknown;
}

/**
 * node:test's functions (`import { describe, it, before, after } from 'node:test'`): a timeout is an
 * options object, before the body for a test and after it for a hook.
 */
export interface NodeTestFunctions {
  describe(name: string, body: () => void): unknown;
  it(name: string, options: { timeout?: number }, body: AsyncBody): unknown;
  before(hook: AsyncBody, options?: { timeout?: number }): unknown;
  after(hook: AsyncBody, options?: { timeout?: number }): unknown;
}

/** The test functions a conformance suite declares its tests with: Jest's, Vitest's or node:test's. */
export type TestFunctions = JestStyleTestFunctions | NodeTestFunctions;

/** What the suites call, the same whatever the runner. */
export interface SuiteRunner {
  describe(name: string, body: () => void): void;
  it(name: string, body: AsyncBody): void;
  beforeAll(hook: AsyncBody): void;
  afterAll(hook: AsyncBody): void;
}

/** Thrown when a suite is given no test functions and the runner put none in the global scope. */
export class MissingTestFunctionsError extends TypeError {
  constructor(suite: string) {
    super(
      `${suite} needs the test functions of your runner: pass { test: { describe, it, before, after } } ` +
        "imported from 'node:test', or { test: { describe, it, beforeAll, afterAll } } imported from 'vitest'; " +
        'under Jest (or Vitest with --globals) the global functions are used when none are passed.',
    );
    this.name = 'MissingTestFunctionsError';
  }
}

/**
 * Adapts the given test functions, or else the globals Jest and `vitest --globals` define, to a
 * {@link SuiteRunner}. `timeoutMs` applies to every test and hook; without it the runner's own default
 * holds (5 s in Jest and Vitest unless configured, none in node:test).
 */
export function suiteRunner(suite: string, given?: TestFunctions, timeoutMs?: number): SuiteRunner {
  const functions = given ?? globalTestFunctions();
  if (!functions) throw new MissingTestFunctionsError(suite);
  if ('beforeAll' in functions) {
    return {
      describe: (name, body) => void functions.describe(name, body),
      it: (name, body) => void functions.it(name, body, timeoutMs),
      beforeAll: (hook) => void functions.beforeAll(hook, timeoutMs),
      afterAll: (hook) => void functions.afterAll(hook, timeoutMs),
    };
  }
  // node:test reads `timeout: undefined` as "no timeout", its default, so the option can always be passed.
  const options = { timeout: timeoutMs };
  return {
    describe: (name, body) => void functions.describe(name, body),
    it: (name, body) => void functions.it(name, options, body),
    beforeAll: (hook) => void functions.before(hook, options),
    afterAll: (hook) => void functions.after(hook, options),
  };
}

function globalTestFunctions(): JestStyleTestFunctions | undefined {
  const scope = globalThis as Partial<Record<keyof JestStyleTestFunctions, unknown>>;
  const { describe, it, beforeAll, afterAll } = scope;
  if (
    typeof describe !== 'function' ||
    typeof it !== 'function' ||
    typeof beforeAll !== 'function' ||
    typeof afterAll !== 'function'
  ) {
    return undefined;
  }
  return scope as JestStyleTestFunctions;
}
