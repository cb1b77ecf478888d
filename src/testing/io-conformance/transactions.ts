import assert from 'node:assert/strict';
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
import type { SuiteRunner } from '../test-functions';
import { assertSame } from './assert-same';

class Rollback extends Error {
  constructor() {
    super('rolled back on purpose by the conformance suite');
  }
}

export function describeTransactions({ describe, it }: SuiteRunner, getIo: () => Io): void {
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
      assert.strictEqual(result, 'done', 'transaction did not resolve with the result of the work');
      assertSame(
        await io.findUserByEmail(email.address),
        { user, email },
        'transaction did not commit the writes of work that resolved',
      );
    });

    it('sees its own writes before committing', async () => {
      const io = getIo();
      const user = makeUser();
      const seen = await io.transaction(async (tx) => {
        await tx.insertUser(user);
        return tx.findUserById(user.id);
      });
      assertSame(seen, user, 'a transaction did not read back its own write');
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
      await assert.rejects(
        work,
        (thrown) => thrown === error,
        'transaction did not reject with the very error the work threw',
      );
      assert.strictEqual(
        await io.findUserById(user.id),
        null,
        'transaction kept an inserted user after the work threw',
      );
      assert.strictEqual(
        await io.findLoginEmail(email.address),
        null,
        'transaction kept an inserted email after the work threw',
      );
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
      await assert.rejects(work, Rollback, 'transaction did not reject with the error the work threw');
      assertSame(await io.findUserById(user.id), user, 'transaction kept an update after the work threw');
      assertSame(await io.findLoginEmail(email.address), email, 'transaction kept a delete after the work threw');
      assert.strictEqual(
        await io.consumeCode(code.id, fixtureTime(2)),
        true,
        'transaction kept a code consumption after the work threw',
      );
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
      await assert.rejects(work, Rollback, 'transaction did not reject with the error the work threw');
      assertSame(seenInside, { user, email }, 'a nested transaction did not see the writes of the outer one');
      assert.strictEqual(
        await io.findUserById(user.id),
        null,
        'the outer transaction kept its write after the work threw',
      );
      assert.strictEqual(
        await io.findLoginEmail(email.address),
        null,
        'a nested transaction committed on its own although the outer one was rolled back',
      );
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
      assertSame(
        await io.findUserByEmail(email.address),
        { user, email },
        'the writes of a nested transaction were not committed with the outer one',
      );
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
        assert.strictEqual(
          await tx.insertLoginEmail({ ...taken, userId: user.id }),
          false,
          'insertLoginEmail of a taken address inside a transaction did not answer false',
        );
        assert.strictEqual(
          await tx.insertLoginEmail(free),
          true,
          'insertLoginEmail failed in a transaction after an address turned out to be taken',
        );
      });
      assertSame(
        await io.listLoginEmails(user.id),
        [free],
        'the transaction did not commit its writes after an address turned out to be taken',
      );
      assertSame(
        await io.findLoginEmail(taken.address),
        taken,
        'a refused insertLoginEmail inside a transaction changed the stored email',
      );
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
        assert.strictEqual(
          await tx.insertMembership(makeMembership({ organizationId: organization.id, userId: member.id })),
          false,
          'insertMembership of an existing membership inside a transaction did not answer false',
        );
        assert.strictEqual(
          await tx.updateOrganization(organization.id, renamed),
          true,
          'updateOrganization failed in a transaction after a membership turned out to exist',
        );
      });
      assertSame(
        await io.findOrganizationById(organization.id),
        { ...organization, ...renamed },
        'the transaction did not commit its writes after a membership turned out to exist',
      );
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
      await assert.rejects(work, Rollback, 'transaction did not reject with the error the work threw');
      assert.strictEqual(await read, null, 'a reader outside the transaction saw a write that was then rolled back');
    });
  });
}
