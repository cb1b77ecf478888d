import assert from 'node:assert/strict';
import type { Io } from '../../ports/io';
import { fixtureTime, HOUR_MS, makeLoginEmail, makeSession, makeUser, uniqueAddress, uniqueId } from '../fixtures';
import type { SuiteRunner } from '../test-functions';
import { assertSame } from './assert-same';

export function describeUsersAndLoginEmails({ describe, it }: SuiteRunner, getIo: () => Io): void {
  describe('users', () => {
    it('round-trips a user with every field, milliseconds included', async () => {
      const io = getIo();
      const full = makeUser({
        roles: ['sysadmin', 'employee', 'user'],
        updatedAt: fixtureTime(1),
        deletedAt: fixtureTime(2),
        bannedAt: fixtureTime(3),
      });
      const passwordless = makeUser({ passwordHash: null, roles: [] });
      await io.insertUser(full);
      await io.insertUser(passwordless);
      assertSame(
        await io.findUserById(full.id),
        full,
        'findUserById did not return a user with every field set exactly as inserted',
      );
      assertSame(
        await io.findUserById(passwordless.id),
        passwordless,
        'findUserById did not return a user without password and roles exactly as inserted',
      );
    });

    it('finds no user for an unknown id', async () => {
      assert.strictEqual(
        await getIo().findUserById(uniqueId('usr')),
        null,
        'findUserById of an unknown id is not null',
      );
    });

    it('keeps stored values apart from the objects passed in and handed out', async () => {
      const io = getIo();
      const user = makeUser({ roles: ['user'] });
      const expected = structuredClone(user);
      await io.insertUser(user);
      user.name = 'changed after insert';
      user.roles.push('sysadmin');
      user.createdAt.setTime(0);
      const found = (await io.findUserById(user.id))!;
      found.roles.push('employee');
      found.updatedAt.setTime(0);
      assertSame(
        await io.findUserById(user.id),
        expected,
        'the stored user changed when the object given to insertUser or returned by findUserById was mutated',
      );
    });

    it('updates only the fields given, and reports whether the user exists', async () => {
      const io = getIo();
      const user = makeUser({ passwordHash: 'old-hash', bannedAt: fixtureTime(5) });
      await io.insertUser(user);
      const patch = { name: 'Grace Hopper', roles: ['employee' as const], updatedAt: fixtureTime(HOUR_MS) };
      assert.strictEqual(
        await io.updateUser(user.id, patch),
        true,
        'updateUser of an existing user did not answer true',
      );
      assertSame(
        await io.findUserById(user.id),
        { ...user, ...patch },
        'updateUser did not change exactly the fields of the patch',
      );
      assert.strictEqual(
        await io.updateUser(uniqueId('usr'), patch),
        false,
        'updateUser of an unknown id did not answer false',
      );
    });

    it('clears nullable fields set to null in a patch and leaves fields given as undefined unchanged', async () => {
      // Decision: a patch field present with the value `undefined` means "not given" (as knex does).
      const io = getIo();
      const user = makeUser({ passwordHash: 'hash', deletedAt: fixtureTime(1), bannedAt: fixtureTime(2) });
      await io.insertUser(user);
      const at = fixtureTime(HOUR_MS);
      await io.updateUser(user.id, {
        passwordHash: null,
        deletedAt: null,
        bannedAt: null,
        name: undefined,
        updatedAt: at,
      });
      assertSame(
        await io.findUserById(user.id),
        { ...user, passwordHash: null, deletedAt: null, bannedAt: null, updatedAt: at },
        'updateUser did not clear the fields set to null, or did not keep the field given as undefined',
      );
    });

    it('reads a user with one of their sessions through lockUserWithSession, and nothing for a mismatch', async () => {
      const io = getIo();
      const user = makeUser();
      const stranger = makeUser();
      await io.insertUser(user);
      await io.insertUser(stranger);
      const session = makeSession({ userId: user.id, revokedAt: fixtureTime(3) });
      await io.insertSession(session);
      assertSame(
        await io.transaction((tx) => tx.lockUserWithSession(user.id, session.id)),
        { user, session },
        'lockUserWithSession inside a transaction did not return the user with their (revoked) session',
      );
      assertSame(
        await io.lockUserWithSession(user.id, session.id),
        { user, session },
        'lockUserWithSession outside a transaction did not return the user with their session',
      );
      assert.strictEqual(
        await io.transaction((tx) => tx.lockUserWithSession(stranger.id, session.id)),
        null,
        "lockUserWithSession returned another user's session",
      );
      assert.strictEqual(
        await io.transaction((tx) => tx.lockUserWithSession(user.id, uniqueId('ses'))),
        null,
        'lockUserWithSession of an unknown session is not null',
      );
    });

    it('reads a user through lockUser, inside a transaction or not, and moves its credential version', async () => {
      const io = getIo();
      const user = makeUser({ credentialVersion: 3 });
      await io.insertUser(user);
      assertSame(await io.lockUser(user.id), user, 'lockUser outside a transaction did not return the user');
      assert.strictEqual(await io.lockUser(uniqueId('usr')), null, 'lockUser of an unknown id is not null');
      const locked = await io.transaction(async (tx) => {
        const current = await tx.lockUser(user.id);
        await tx.updateUser(user.id, {
          credentialVersion: (current?.credentialVersion ?? 0) + 1,
          updatedAt: fixtureTime(9),
        });
        return tx.lockUser(user.id);
      });
      assertSame(
        locked,
        { ...user, credentialVersion: 4, updatedAt: fixtureTime(9) },
        'lockUser inside a transaction did not see the update made in it',
      );
      assert.strictEqual(
        (await io.findUserById(user.id))?.credentialVersion,
        4,
        'the credential version written in a committed transaction was not stored',
      );
    });

    it('returns deleted users by id', async () => {
      const io = getIo();
      const user = makeUser();
      await io.insertUser(user);
      await io.updateUser(user.id, { deletedAt: fixtureTime(1), updatedAt: fixtureTime(1) });
      assertSame(
        (await io.findUserById(user.id))?.deletedAt,
        fixtureTime(1),
        'findUserById did not return a deleted user with its deletedAt',
      );
    });
  });

  describe('login emails', () => {
    it('round-trips a login email, verified or not', async () => {
      const io = getIo();
      const user = makeUser();
      await io.insertUser(user);
      const unverified = makeLoginEmail({ userId: user.id });
      const verified = makeLoginEmail({ userId: user.id, verifiedAt: fixtureTime(7), createdAt: fixtureTime(1) });
      assert.strictEqual(
        await io.insertLoginEmail(unverified),
        true,
        'insertLoginEmail of a free address did not answer true',
      );
      assert.strictEqual(
        await io.insertLoginEmail(verified),
        true,
        'insertLoginEmail of a free address did not answer true',
      );
      assertSame(
        await io.findLoginEmail(unverified.address),
        unverified,
        'findLoginEmail did not return an unverified email exactly as inserted',
      );
      assertSame(
        await io.findLoginEmail(verified.address),
        verified,
        'findLoginEmail did not return a verified email exactly as inserted',
      );
      assert.strictEqual(
        await io.findLoginEmail(uniqueAddress()),
        null,
        'findLoginEmail of an unknown address is not null',
      );
    });

    it('refuses an address already taken, by another user or the same one, and writes nothing', async () => {
      const io = getIo();
      const owner = makeUser();
      const other = makeUser();
      await io.insertUser(owner);
      await io.insertUser(other);
      const email = makeLoginEmail({ userId: owner.id });
      await io.insertLoginEmail(email);
      const byOther = makeLoginEmail({ userId: other.id, address: email.address, createdAt: fixtureTime(9) });
      assert.strictEqual(
        await io.insertLoginEmail(byOther),
        false,
        'insertLoginEmail of an address taken by another user did not answer false',
      );
      assert.strictEqual(
        await io.insertLoginEmail({ ...email, verifiedAt: fixtureTime(9) }),
        false,
        'insertLoginEmail of an address the same user holds did not answer false',
      );
      assertSame(await io.findLoginEmail(email.address), email, 'a refused insertLoginEmail changed the stored email');
      assertSame(await io.listLoginEmails(other.id), [], 'a refused insertLoginEmail stored an email');
    });

    it('finds the user owning an address together with that email', async () => {
      const io = getIo();
      const user = makeUser();
      await io.insertUser(user);
      const email = makeLoginEmail({ userId: user.id });
      await io.insertLoginEmail(email);
      assertSame(
        await io.findUserByEmail(email.address),
        { user, email },
        'findUserByEmail did not return the owner together with the email',
      );
      assert.strictEqual(
        await io.findUserByEmail(uniqueAddress()),
        null,
        'findUserByEmail of an unknown address is not null',
      );
    });

    it("lists a user's login emails oldest first, and only theirs", async () => {
      const io = getIo();
      const user = makeUser();
      const other = makeUser();
      await io.insertUser(user);
      await io.insertUser(other);
      const newest = makeLoginEmail({ userId: user.id, createdAt: fixtureTime(2) });
      const oldest = makeLoginEmail({ userId: user.id, createdAt: fixtureTime(0) });
      const middle = makeLoginEmail({ userId: user.id, createdAt: fixtureTime(1) });
      for (const email of [newest, oldest, middle]) await io.insertLoginEmail(email);
      await io.insertLoginEmail(makeLoginEmail({ userId: other.id }));
      assertSame(
        await io.listLoginEmails(user.id),
        [oldest, middle, newest],
        "listLoginEmails did not list exactly the user's emails, oldest first",
      );
      assertSame(await io.listLoginEmails(uniqueId('usr')), [], 'listLoginEmails of an unknown user is not empty');
    });

    it('deletes only the given addresses of that user and counts them', async () => {
      const io = getIo();
      const user = makeUser();
      const other = makeUser();
      await io.insertUser(user);
      await io.insertUser(other);
      const kept = makeLoginEmail({ userId: user.id, createdAt: fixtureTime(0) });
      const dropped = makeLoginEmail({ userId: user.id, createdAt: fixtureTime(1) });
      const othersEmail = makeLoginEmail({ userId: other.id });
      for (const email of [kept, dropped, othersEmail]) await io.insertLoginEmail(email);
      const count = await io.deleteLoginEmails(user.id, [dropped.address, othersEmail.address, uniqueAddress()]);
      assert.strictEqual(count, 1, "deleteLoginEmails did not count only the user's own deleted address");
      assertSame(
        await io.listLoginEmails(user.id),
        [kept],
        'deleteLoginEmails did not delete exactly the address given',
      );
      assertSame(
        await io.findLoginEmail(othersEmail.address),
        othersEmail,
        "deleteLoginEmails deleted another user's address",
      );
      assert.strictEqual(
        await io.deleteLoginEmails(user.id, []),
        0,
        'deleteLoginEmails of no address did not answer 0',
      );
      assertSame(await io.listLoginEmails(user.id), [kept], 'deleteLoginEmails of no address deleted something');
    });

    it('deletes every login email of a user, which frees the addresses for anyone', async () => {
      const io = getIo();
      const user = makeUser();
      const other = makeUser();
      await io.insertUser(user);
      await io.insertUser(other);
      const first = makeLoginEmail({ userId: user.id });
      const second = makeLoginEmail({ userId: user.id });
      const othersEmail = makeLoginEmail({ userId: other.id });
      for (const email of [first, second, othersEmail]) await io.insertLoginEmail(email);
      assert.strictEqual(
        await io.deleteAllLoginEmails(user.id),
        2,
        "deleteAllLoginEmails did not count the user's two emails",
      );
      assertSame(await io.listLoginEmails(user.id), [], 'deleteAllLoginEmails left an email of the user');
      assert.strictEqual(
        await io.findUserByEmail(first.address),
        null,
        'findUserByEmail still finds a deleted address',
      );
      assert.strictEqual(
        await io.insertLoginEmail({ ...first, userId: other.id }),
        true,
        'a deleted address could not be inserted again for another user',
      );
      assertSame(
        await io.findLoginEmail(othersEmail.address),
        othersEmail,
        "deleteAllLoginEmails deleted another user's email",
      );
      assert.strictEqual(
        await io.deleteAllLoginEmails(user.id),
        0,
        'deleteAllLoginEmails of a user without emails did not answer 0',
      );
    });

    it('releases an address only while it is unverified and was added before the cutoff', async () => {
      const io = getIo();
      const user = makeUser();
      await io.insertUser(user);
      const stale = makeLoginEmail({ userId: user.id, createdAt: fixtureTime(0) });
      const fresh = makeLoginEmail({ userId: user.id, createdAt: fixtureTime(HOUR_MS) });
      const verified = makeLoginEmail({ userId: user.id, createdAt: fixtureTime(0), verifiedAt: fixtureTime(1) });
      for (const email of [stale, fresh, verified]) await io.insertLoginEmail(email);
      const cutoff = fixtureTime(HOUR_MS);
      assert.strictEqual(
        await io.releaseUnverifiedLoginEmail(fresh.address, cutoff),
        false,
        'releaseUnverifiedLoginEmail released an address added at the cutoff',
      );
      assert.strictEqual(
        await io.releaseUnverifiedLoginEmail(verified.address, cutoff),
        false,
        'releaseUnverifiedLoginEmail released a verified address',
      );
      assert.strictEqual(
        await io.releaseUnverifiedLoginEmail(stale.address, cutoff),
        true,
        'releaseUnverifiedLoginEmail did not release an unverified address added before the cutoff',
      );
      assert.strictEqual(
        await io.releaseUnverifiedLoginEmail(stale.address, cutoff),
        false,
        'releaseUnverifiedLoginEmail answered true twice for one address',
      );
      assert.strictEqual(
        await io.releaseUnverifiedLoginEmail(uniqueAddress(), cutoff),
        false,
        'releaseUnverifiedLoginEmail of an unknown address did not answer false',
      );
      assertSame(
        (await io.listLoginEmails(user.id)).map((email) => email.address).sort(),
        [fresh.address, verified.address].sort(),
        'releaseUnverifiedLoginEmail did not delete exactly the released address',
      );
    });

    it('marks an address verified once and keeps the first verification time', async () => {
      const io = getIo();
      const user = makeUser();
      await io.insertUser(user);
      const email = makeLoginEmail({ userId: user.id });
      await io.insertLoginEmail(email);
      assert.strictEqual(
        await io.markLoginEmailVerified(email.address, fixtureTime(10)),
        true,
        'markLoginEmailVerified of an unverified address did not answer true',
      );
      assert.strictEqual(
        await io.markLoginEmailVerified(email.address, fixtureTime(20)),
        false,
        'markLoginEmailVerified of a verified address did not answer false',
      );
      assertSame(
        await io.findLoginEmail(email.address),
        { ...email, verifiedAt: fixtureTime(10) },
        'markLoginEmailVerified did not keep the first verification time, or changed another field',
      );
      assert.strictEqual(
        await io.markLoginEmailVerified(uniqueAddress(), fixtureTime(10)),
        false,
        'markLoginEmailVerified of an unknown address did not answer false',
      );
    });
  });
}
