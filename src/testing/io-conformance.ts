import type { Io } from '../ports/io';
import { describeClientsAndRestrictions } from './io-conformance/clients';
import { describeVerificationCodes } from './io-conformance/codes';
import { describeConcurrency } from './io-conformance/concurrency';
import { describeEvents } from './io-conformance/events';
import { describeCustomFields } from './io-conformance/fields';
import { describeInvitations } from './io-conformance/invitations';
import { describeOrganizationsAndMemberships } from './io-conformance/organizations';
import { describePagination } from './io-conformance/pagination';
import { describeSessionsAndRefreshTokens } from './io-conformance/sessions';
import { describeTransactions } from './io-conformance/transactions';
import { describeTwoFactor } from './io-conformance/two-factor';
import { describeUsersAndLoginEmails } from './io-conformance/users';
import { suiteRunner, type TestFunctions } from './test-functions';

/** How the conformance suite gets the `Io` under test, disposes of it, and declares its tests. */
export interface IoConformanceSetup {
  /** Called once, before the suite's tests; every test of the suite uses the `Io` it returns. */
  create: () => Promise<Io>;
  /** Called once after the suite's tests, e.g. to close a connection pool. */
  destroy?: (io: Io) => Promise<void>;
  /**
   * The runner's test functions: `{ describe, it, before, after }` from `node:test`, or
   * `{ describe, it, beforeAll, afterAll }` from `vitest` or Jest. Optional under Jest and
   * `vitest --globals`, whose global functions are used when it is left out.
   */
  test?: TestFunctions;
  /** A timeout for each test and hook, in milliseconds; by default the runner's own. */
  timeoutMs?: number;
}

/**
 * Declares tests checking that an `Io` follows the port: every method, its ordering and uniqueness
 * rules, keyset pagination of the `…Page` lists, custom fields through every reader, the atomic primitives under parallel calls, and transaction commit, rollback and joining.
 * Call it at the top level of a test file (or inside a `describe`). It asserts with `node:assert/strict`,
 * so it runs under Jest, Vitest and node:test alike; without `setup.test` it uses the global
 * `describe`/`it`/`beforeAll`/`afterAll` (Jest, `vitest --globals`) and throws a
 * `MissingTestFunctionsError` when there are none.
 *
 * The suite never assumes empty tables: every test creates rows with fresh random ids and addresses
 * and looks only at those, so it can run again and again against one database. All times are fixed
 * millisecond-precise instants (around 2030-01-01T12:00:00.123Z), never the clock.
 *
 * Where the port's documentation leaves room, the suite decides (each decision is marked in the test):
 * - a patch field given as `undefined` is left unchanged;
 * - `findSessionWithUser` returns revoked and expired sessions too (the domain judges them);
 * - `invalidateCodes` also invalidates expired codes (it filters on consumption and invalidation only);
 * - deleting an organization keeps the sessions made through its clients, with `clientId` set to null.
 *
 * @example Jest (globals), in `my-io.test.ts`
 * ```ts
 * import { runIoConformanceTests } from 'accounts-module/testing';
 * runIoConformanceTests('my io', { create: async () => new MyIo(), destroy: (io) => (io as MyIo).close() });
 * ```
 *
 * @example node:test, run with `node --test` (through `--import tsx` for TypeScript)
 * ```ts
 * import { after, before, describe, it } from 'node:test';
 * import { runIoConformanceTests } from 'accounts-module/testing';
 * runIoConformanceTests('my io', { create: async () => new MyIo(), test: { describe, it, before, after } });
 * ```
 */
export function runIoConformanceTests(name: string, setup: IoConformanceSetup): void {
  const runner = suiteRunner('runIoConformanceTests', setup.test, setup.timeoutMs);
  runner.describe(`Io conformance: ${name}`, () => {
    let io: Io | undefined;
    const getIo = (): Io => {
      if (!io) throw new Error('the Io under test was not created (see the failure of the before-all hook)');
      return io;
    };

    runner.beforeAll(async () => {
      io = await setup.create();
    });

    runner.afterAll(async () => {
      if (io && setup.destroy) await setup.destroy(io);
    });

    describeUsersAndLoginEmails(runner, getIo);
    describeVerificationCodes(runner, getIo);
    describeSessionsAndRefreshTokens(runner, getIo);
    describeOrganizationsAndMemberships(runner, getIo);
    describeClientsAndRestrictions(runner, getIo);
    describeInvitations(runner, getIo);
    describeTwoFactor(runner, getIo);
    describePagination(runner, getIo);
    describeCustomFields(runner, getIo);
    describeEvents(runner, getIo);
    describeTransactions(runner, getIo);
    describeConcurrency(runner, getIo);
  });
}
