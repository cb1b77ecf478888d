/// <reference types="jest" />
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

export function describeConcurrency(getIo: () => Io): void {
  describe('concurrency', () => {
    it(`lets exactly one of ${RACERS} parallel consumers consume a refresh token`, async () => {
      const io = getIo();
      const user = makeUser();
      const session = makeSession({ userId: user.id });
      const token = makeRefreshToken({ sessionId: session.id });
      await io.insertUser(user);
      await io.insertSession(session);
      await io.insertRefreshToken(token);
      expect(winners(await race(() => io.consumeRefreshToken(token.tokenHash, NOW)))).toBe(1);
    });

    it(`lets exactly one of ${RACERS} parallel consumers consume a code`, async () => {
      const io = getIo();
      const code = makeVerificationCode();
      await io.insertVerificationCode(code);
      expect(winners(await race(() => io.consumeCode(code.id, NOW)))).toBe(1);
    });

    it(`grants exactly maxAttempts of ${RACERS} parallel attempts on a code`, async () => {
      const io = getIo();
      const code = makeVerificationCode();
      await io.insertVerificationCode(code);
      expect(winners(await race(() => io.reserveCodeAttempt(code.id, 5, NOW)))).toBe(5);
      const stored = await io.findUsableCode({ purpose: 'login', state: code.state!, maxAttempts: 100 }, NOW);
      expect(stored?.attempts).toBe(5);
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
      expect((await io.findUserById(user.id))?.credentialVersion).toBe(RACERS);
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
      expect(winners(outcomes)).toBe(1);
      expect(await io.listMemberships(organization.id)).toHaveLength(1);
    });

    it(`writes lastUsedAt once for ${RACERS} parallel authentications of a client`, async () => {
      const io = getIo();
      const organization = makeOrganization();
      const client = makeClient({ organizationId: organization.id, lastUsedAt: null });
      await io.insertOrganization(organization);
      await io.insertClient(client);
      const outcomes = await race(() => io.touchClientLastUsed(client.id, NOW, fixtureTime()));
      expect(winners(outcomes)).toBe(1);
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
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toHaveLength(RACERS - 1);

      const winner = users[outcomes.findIndex((outcome) => outcome.status === 'fulfilled')]!;
      expect((await io.findUserByEmail(address))?.user).toStrictEqual(winner);
      const stored = await Promise.all(users.map((user) => io.findUserById(user.id)));
      expect(stored.filter((user) => user !== null).map((user) => user!.id)).toEqual([winner.id]);
    });
  });
}
