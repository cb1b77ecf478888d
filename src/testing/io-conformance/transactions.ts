/// <reference types="jest" />
import type { Io } from '../../ports/io';
import {
  fixtureTime,
  HOUR_MS,
  makeLoginEmail,
  makeMembership,
  makeOrganization,
  makeUser,
  makeVerificationCode,
} from '../fixtures';

class Rollback extends Error {
  constructor() {
    super('rolled back on purpose by the conformance suite');
  }
}

export function describeTransactions(getIo: () => Io): void {
  describe('transactions', () => {
    it('commits the work when it resolves and returns its result', async () => {
      const io = getIo();
      const user = makeUser();
      const email = makeLoginEmail({ userId: user.id });
      const result = await io.transaction(async (tx) => {
        await tx.insertUser(user);
        await tx.insertLoginEmail(email);
        return 'done';
      });
      expect(result).toBe('done');
      expect(await io.findUserByEmail(email.address)).toStrictEqual({ user, email });
    });

    it('sees its own writes before committing', async () => {
      const io = getIo();
      const user = makeUser();
      const seen = await io.transaction(async (tx) => {
        await tx.insertUser(user);
        return tx.findUserById(user.id);
      });
      expect(seen).toStrictEqual(user);
    });

    it('rolls back every write when the work throws, and rethrows the error', async () => {
      const io = getIo();
      const user = makeUser();
      const email = makeLoginEmail({ userId: user.id });
      const error = new Rollback();
      const work = io.transaction(async (tx) => {
        await tx.insertUser(user);
        await tx.insertLoginEmail(email);
        throw error;
      });
      await expect(work).rejects.toBe(error);
      expect(await io.findUserById(user.id)).toBeNull();
      expect(await io.findLoginEmail(email.address)).toBeNull();
    });

    it('rolls back updates, deletes and consumptions as well as inserts', async () => {
      const io = getIo();
      const user = makeUser();
      const email = makeLoginEmail({ userId: user.id });
      const code = makeVerificationCode({ address: email.address });
      await io.insertUser(user);
      await io.insertLoginEmail(email);
      await io.insertVerificationCode(code);
      const work = io.transaction(async (tx) => {
        await tx.updateUser(user.id, { name: 'Rolled back', updatedAt: fixtureTime(HOUR_MS) });
        await tx.deleteAllLoginEmails(user.id);
        await tx.consumeCode(code.id, fixtureTime(1));
        throw new Rollback();
      });
      await expect(work).rejects.toBeInstanceOf(Rollback);
      expect(await io.findUserById(user.id)).toStrictEqual(user);
      expect(await io.findLoginEmail(email.address)).toStrictEqual(email);
      expect(await io.consumeCode(code.id, fixtureTime(2))).toBe(true);
    });

    it('runs a transaction started on a transaction-bound Io inside the same transaction', async () => {
      const io = getIo();
      const user = makeUser();
      const email = makeLoginEmail({ userId: user.id });
      let seenInside: unknown;
      const work = io.transaction(async (tx) => {
        await tx.insertUser(user);
        seenInside = await tx.transaction(async (nested) => {
          await nested.insertLoginEmail(email);
          return nested.findUserByEmail(email.address);
        });
        throw new Rollback();
      });
      await expect(work).rejects.toBeInstanceOf(Rollback);
      expect(seenInside).toStrictEqual({ user, email });
      expect(await io.findUserById(user.id)).toBeNull();
      expect(await io.findLoginEmail(email.address)).toBeNull();
    });

    it('commits the writes of a joined transaction with the outer one', async () => {
      const io = getIo();
      const user = makeUser();
      const email = makeLoginEmail({ userId: user.id });
      await io.transaction(async (tx) => {
        await tx.insertUser(user);
        await tx.transaction(async (nested) => {
          await nested.insertLoginEmail(email);
        });
      });
      expect(await io.findUserByEmail(email.address)).toStrictEqual({ user, email });
    });

    it('goes on after an address turns out to be taken, and commits the rest', async () => {
      // A store that reports "taken" by catching a unique-key error must not leave the transaction
      // unusable (PostgreSQL aborts a transaction after any failed statement).
      const io = getIo();
      const owner = makeUser();
      const taken = makeLoginEmail({ userId: owner.id });
      await io.insertUser(owner);
      await io.insertLoginEmail(taken);
      const user = makeUser();
      const free = makeLoginEmail({ userId: user.id });
      await io.transaction(async (tx) => {
        await tx.insertUser(user);
        expect(await tx.insertLoginEmail({ ...taken, userId: user.id })).toBe(false);
        expect(await tx.insertLoginEmail(free)).toBe(true);
      });
      expect(await io.listLoginEmails(user.id)).toStrictEqual([free]);
      expect(await io.findLoginEmail(taken.address)).toStrictEqual(taken);
    });

    it('goes on after a membership turns out to exist, and commits the rest', async () => {
      const io = getIo();
      const organization = makeOrganization();
      const member = makeUser();
      await io.insertOrganization(organization);
      await io.insertUser(member);
      const existing = makeMembership({ organizationId: organization.id, userId: member.id });
      await io.insertMembership(existing);
      const renamed = { name: 'Renamed in the same transaction', updatedAt: fixtureTime(HOUR_MS) };
      await io.transaction(async (tx) => {
        expect(await tx.insertMembership(makeMembership({ organizationId: organization.id, userId: member.id }))).toBe(
          false,
        );
        expect(await tx.updateOrganization(organization.id, renamed)).toBe(true);
      });
      expect(await io.findOrganizationById(organization.id)).toStrictEqual({ ...organization, ...renamed });
    });

    it('never shows a concurrent reader a write that is rolled back', async () => {
      const io = getIo();
      const user = makeUser();
      let signalInserted!: () => void;
      const inserted = new Promise<void>((resolve) => {
        signalInserted = resolve;
      });
      let allowRollback!: () => void;
      const rollbackAllowed = new Promise<void>((resolve) => {
        allowRollback = resolve;
      });
      const work = io.transaction(async (tx) => {
        await tx.insertUser(user);
        signalInserted();
        await rollbackAllowed;
        throw new Rollback();
      });
      await inserted;
      // The reader may run at once (MVCC stores) or wait for the transaction to end (locking stores).
      const read = io.findUserById(user.id);
      await new Promise((resolve) => setTimeout(resolve, 20));
      allowRollback();
      await expect(work).rejects.toBeInstanceOf(Rollback);
      expect(await read).toBeNull();
    });
  });
}
