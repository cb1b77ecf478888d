/// <reference types="jest" />
import type { Io } from '../ports/io';
import { describeClientsAndRestrictions } from './io-conformance/clients';
import { describeVerificationCodes } from './io-conformance/codes';
import { describeConcurrency } from './io-conformance/concurrency';
import { describeOrganizationsAndMemberships } from './io-conformance/organizations';
import { describeSessionsAndRefreshTokens } from './io-conformance/sessions';
import { describeTransactions } from './io-conformance/transactions';
import { describeUsersAndLoginEmails } from './io-conformance/users';

/** How the conformance suite gets the `Io` under test, and disposes of it. */
export interface IoConformanceSetup {
  /** Called once, before the suite's tests; every test of the suite uses the `Io` it returns. */
  create: () => Promise<Io>;
  /** Called once after the suite's tests, e.g. to close a connection pool. */
  destroy?: (io: Io) => Promise<void>;
}

/**
 * Declares Jest tests (through the `describe`/`it`/`expect` globals) checking that an `Io` follows the
 * port: every method, its ordering and uniqueness rules, the atomic primitives under parallel calls,
 * and transaction commit, rollback and joining. Call it at the top level of a test file.
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
 * @example
 * runIoConformanceTests('my io', { create: async () => new MyIo(), destroy: (io) => (io as MyIo).close() });
 */
export function runIoConformanceTests(name: string, setup: IoConformanceSetup): void {
  describe(`Io conformance: ${name}`, () => {
    let io: Io | undefined;
    const getIo = (): Io => {
      if (!io) throw new Error('the Io under test was not created (see the failure of beforeAll)');
      return io;
    };

    beforeAll(async () => {
      io = await setup.create();
    });

    afterAll(async () => {
      if (io && setup.destroy) await setup.destroy(io);
    });

    describeUsersAndLoginEmails(getIo);
    describeVerificationCodes(getIo);
    describeSessionsAndRefreshTokens(getIo);
    describeOrganizationsAndMemberships(getIo);
    describeClientsAndRestrictions(getIo);
    describeTransactions(getIo);
    describeConcurrency(getIo);
  });
}
