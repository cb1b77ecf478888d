import assert from 'node:assert/strict';
import type { Io } from '../../ports/io';
import {
  fixtureTime,
  MINUTE_MS,
  makeClient,
  makeLoginEmail,
  makeMembership,
  makeOrganization,
  makeRefreshToken,
  makeSession,
  makeUser,
  makeVerificationCode,
  uniqueAddress,
} from '../fixtures';
import type { SuiteRunner } from '../test-functions';
import { assertSame } from './assert-same';

const RACERS = 20;
const NOW = fixtureTime(MINUTE_MS);

class AddressTaken extends Error {
  constructor() {
    super('address taken: rolled back by the conformance suite');
  }
}

/** Starts `RACERS` calls at once and returns what each one answered. */
function race<T>(attempt: (index: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: RACERS }, (_, index) => attempt(index)));
}

const winners = (outcomes: boolean[]): number => outcomes.filter(Boolean).length;

export function describeConcurrency({ describe, it }: SuiteRunner, getIo: () => Io): void {
  describe('concurrency', () => {
    it(`lets exactly one of ${RACERS} parallel consumers consume a refresh token`, async () => {
      const io = getIo();
      const user = makeUser();
      const session = makeSession({ userId: user.id });
      const token = makeRefreshToken({ sessionId: session.id });
      await io.insertUser(user);
      await io.insertSession(session);
      await io.insertRefreshToken(token);
      assert.strictEqual(
        winners(await race(() => io.consumeRefreshToken(token.tokenHash, NOW))),
        1,
        `consumeRefreshToken did not answer true to exactly one of ${RACERS} parallel calls`,
      );
    });

    it(`lets exactly one of ${RACERS} parallel rotations of one refresh token win, storing one next token`, async () => {
      const io = getIo();
      const user = makeUser();
      const session = makeSession({ userId: user.id });
      await io.insertUser(user);
      await io.insertSession(session);
      const presented = makeRefreshToken({ sessionId: session.id });
      await io.insertRefreshToken(presented);
      const nexts = Array.from({ length: RACERS }, () => makeRefreshToken({ sessionId: session.id }));
      const outcomes = await race((index) =>
        io.rotateRefreshToken({
          consumedTokenHash: presented.tokenHash,
          at: NOW,
          idleExpiresAt: NOW,
          next: nexts[index]!,
        }),
      );
      assert.strictEqual(winners(outcomes), 1, `rotateRefreshToken did not answer true to exactly one of ${RACERS}`);
      const stored = await Promise.all(nexts.map((next) => io.findRefreshToken(next.tokenHash)));
      assert.deepStrictEqual(
        stored.map((token) => token !== null),
        outcomes,
        'the next tokens stored are not exactly the winning rotation’s',
      );
    });

    it(`runs ${RACERS} parallel transactions that lock one user with a session one after the other`, async () => {
      const io = getIo();
      const user = makeUser({ credentialVersion: 0 });
      const session = makeSession({ userId: user.id });
      await io.insertUser(user);
      await io.insertSession(session);
      await race(() =>
        io.transaction(async (tx) => {
          const locked = await tx.lockUserWithSession(user.id, session.id);
          await tx.updateUser(user.id, {
            credentialVersion: (locked?.user.credentialVersion ?? 0) + 1,
            updatedAt: NOW,
          });
        }),
      );
      assert.strictEqual(
        (await io.findUserById(user.id))?.credentialVersion,
        RACERS,
        `lockUserWithSession did not serialize ${RACERS} parallel read-then-write transactions: increments were lost`,
      );
    });

    it(`lets exactly one of ${RACERS} parallel consumers consume a code`, async () => {
      const io = getIo();
      const code = makeVerificationCode();
      await io.insertVerificationCode(code);
      assert.strictEqual(
        winners(await race(() => io.consumeCode(code.id, NOW))),
        1,
        `consumeCode did not answer true to exactly one of ${RACERS} parallel calls`,
      );
    });

    it(`grants exactly maxAttempts of ${RACERS} parallel attempts on a code`, async () => {
      const io = getIo();
      const code = makeVerificationCode();
      await io.insertVerificationCode(code);
      assert.strictEqual(
        winners(await race(() => io.reserveCodeAttempt(code.id, 5, NOW))),
        5,
        `reserveCodeAttempt with maxAttempts 5 did not grant exactly 5 of ${RACERS} parallel attempts`,
      );
      const stored = await io.findUsableCode({ purpose: 'login', state: code.state!, maxAttempts: 100 }, NOW);
      assert.strictEqual(stored?.attempts, 5, 'parallel reserveCodeAttempt calls did not store exactly 5 attempts');
    });

    it(`runs ${RACERS} parallel transactions that lock one user one after the other`, async () => {
      const io = getIo();
      const user = makeUser({ credentialVersion: 0 });
      await io.insertUser(user);
      // Read, then write what was read plus one: only a lock that serializes them loses no increment.
      await race(() =>
        io.transaction(async (tx) => {
          const locked = await tx.lockUser(user.id);
          await tx.updateUser(user.id, { credentialVersion: (locked?.credentialVersion ?? 0) + 1, updatedAt: NOW });
        }),
      );
      assert.strictEqual(
        (await io.findUserById(user.id))?.credentialVersion,
        RACERS,
        `lockUser did not serialize ${RACERS} parallel read-then-write transactions: increments were lost`,
      );
    });

    it(`runs ${RACERS} parallel transactions that lock one organization one after the other`, async () => {
      const io = getIo();
      const organization = makeOrganization({ fields: { count: 0 } });
      await io.insertOrganization(organization);
      // Read, then write what was read plus one (in the custom fields): only a lock loses no increment.
      await race(() =>
        io.transaction(async (tx) => {
          const locked = await tx.lockOrganization(organization.id);
          const count = Number((locked?.fields as { count?: number } | undefined)?.count ?? 0);
          await tx.updateOrganization(organization.id, { fields: { count: count + 1 }, updatedAt: NOW });
        }),
      );
      assert.strictEqual(
        ((await io.findOrganizationById(organization.id))?.fields as { count?: number } | undefined)?.count,
        RACERS,
        `lockOrganization did not serialize ${RACERS} parallel read-then-write transactions: increments were lost`,
      );
    });

    it(`lets exactly one of ${RACERS} parallel inserts of one membership through`, async () => {
      const io = getIo();
      const organization = makeOrganization();
      const user = makeUser();
      await io.insertOrganization(organization);
      await io.insertUser(user);
      const outcomes = await race(() =>
        io.insertMembership(makeMembership({ organizationId: organization.id, userId: user.id })),
      );
      assert.strictEqual(
        winners(outcomes),
        1,
        `insertMembership did not answer true to exactly one of ${RACERS} parallel inserts of one membership`,
      );
      assert.strictEqual(
        (await io.listMemberships(organization.id)).length,
        1,
        `${RACERS} parallel inserts of one membership did not store exactly one`,
      );
    });

    it(`writes lastUsedAt once for ${RACERS} parallel authentications of a client`, async () => {
      const io = getIo();
      const organization = makeOrganization();
      const client = makeClient({ organizationId: organization.id, lastUsedAt: null });
      await io.insertOrganization(organization);
      await io.insertClient(client);
      const outcomes = await race(() => io.touchClientLastUsed(client.id, NOW, fixtureTime()));
      assert.strictEqual(
        winners(outcomes),
        1,
        `touchClientLastUsed did not answer true to exactly one of ${RACERS} parallel calls`,
      );
    });

    it(`commits exactly one of ${RACERS} parallel registrations of one address, leaving no orphan user`, async () => {
      const io = getIo();
      const address = uniqueAddress();
      const users = Array.from({ length: RACERS }, () => makeUser());
      const outcomes = await Promise.allSettled(
        users.map((user) =>
          io.transaction(async (tx) => {
            await tx.insertUser(user);
            if (!(await tx.insertLoginEmail(makeLoginEmail({ userId: user.id, address })))) throw new AddressTaken();
          }),
        ),
      );
      // A store may also abort a loser with its own error (a deadlock, a serialization failure).
      assert.strictEqual(
        outcomes.filter((outcome) => outcome.status === 'fulfilled').length,
        1,
        `not exactly one of ${RACERS} parallel registrations of one address committed`,
      );
      assert.strictEqual(
        outcomes.filter((outcome) => outcome.status === 'rejected').length,
        RACERS - 1,
        `not all of the ${RACERS - 1} losing registrations of one address were rejected`,
      );

      const winner = users[outcomes.findIndex((outcome) => outcome.status === 'fulfilled')]!;
      assertSame(
        (await io.findUserByEmail(address))?.user,
        winner,
        'the address does not belong to the user of the registration that committed',
      );
      const stored = await Promise.all(users.map((user) => io.findUserById(user.id)));
      assertSame(
        stored.filter((user) => user !== null).map((user) => user!.id),
        [winner.id],
        'a rolled-back registration left its user behind',
      );
    });
  });
}
