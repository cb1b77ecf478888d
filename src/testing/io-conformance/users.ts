/// <reference types="jest" />
import type { Io } from '../../ports/io';
import { fixtureTime, HOUR_MS, makeLoginEmail, makeUser, uniqueAddress, uniqueId } from '../fixtures';

export function describeUsersAndLoginEmails(getIo: () => Io): void {
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
      expect(await io.findUserById(full.id)).toStrictEqual(full);
      expect(await io.findUserById(passwordless.id)).toStrictEqual(passwordless);
    });

    it('finds no user for an unknown id', async () => {
      expect(await getIo().findUserById(uniqueId('usr'))).toBeNull();
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
      expect(await io.findUserById(user.id)).toStrictEqual(expected);
    });

    it('updates only the fields given, and reports whether the user exists', async () => {
      const io = getIo();
      const user = makeUser({ passwordHash: 'old-hash', bannedAt: fixtureTime(5) });
      await io.insertUser(user);
      const patch = { name: 'Grace Hopper', roles: ['employee' as const], updatedAt: fixtureTime(HOUR_MS) };
      expect(await io.updateUser(user.id, patch)).toBe(true);
      expect(await io.findUserById(user.id)).toStrictEqual({ ...user, ...patch });
      expect(await io.updateUser(uniqueId('usr'), patch)).toBe(false);
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
      expect(await io.findUserById(user.id)).toStrictEqual({
        ...user,
        passwordHash: null,
        deletedAt: null,
        bannedAt: null,
        updatedAt: at,
      });
    });

    it('reads a user through lockUser, inside a transaction or not, and moves its credential version', async () => {
      const io = getIo();
      const user = makeUser({ credentialVersion: 3 });
      await io.insertUser(user);
      expect(await io.lockUser(user.id)).toStrictEqual(user);
      expect(await io.lockUser(uniqueId('usr'))).toBeNull();
      const locked = await io.transaction(async (tx) => {
        const current = await tx.lockUser(user.id);
        await tx.updateUser(user.id, {
          credentialVersion: (current?.credentialVersion ?? 0) + 1,
          updatedAt: fixtureTime(9),
        });
        return tx.lockUser(user.id);
      });
      expect(locked).toStrictEqual({ ...user, credentialVersion: 4, updatedAt: fixtureTime(9) });
      expect((await io.findUserById(user.id))?.credentialVersion).toBe(4);
    });

    it('returns deleted users by id', async () => {
      const io = getIo();
      const user = makeUser();
      await io.insertUser(user);
      await io.updateUser(user.id, { deletedAt: fixtureTime(1), updatedAt: fixtureTime(1) });
      expect((await io.findUserById(user.id))?.deletedAt).toEqual(fixtureTime(1));
    });
  });

  describe('login emails', () => {
    it('round-trips a login email, verified or not', async () => {
      const io = getIo();
      const user = makeUser();
      await io.insertUser(user);
      const unverified = makeLoginEmail({ userId: user.id });
      const verified = makeLoginEmail({ userId: user.id, verifiedAt: fixtureTime(7), createdAt: fixtureTime(1) });
      expect(await io.insertLoginEmail(unverified)).toBe(true);
      expect(await io.insertLoginEmail(verified)).toBe(true);
      expect(await io.findLoginEmail(unverified.address)).toStrictEqual(unverified);
      expect(await io.findLoginEmail(verified.address)).toStrictEqual(verified);
      expect(await io.findLoginEmail(uniqueAddress())).toBeNull();
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
      expect(await io.insertLoginEmail(byOther)).toBe(false);
      expect(await io.insertLoginEmail({ ...email, verifiedAt: fixtureTime(9) })).toBe(false);
      expect(await io.findLoginEmail(email.address)).toStrictEqual(email);
      expect(await io.listLoginEmails(other.id)).toEqual([]);
    });

    it('finds the user owning an address together with that email', async () => {
      const io = getIo();
      const user = makeUser();
      await io.insertUser(user);
      const email = makeLoginEmail({ userId: user.id });
      await io.insertLoginEmail(email);
      expect(await io.findUserByEmail(email.address)).toStrictEqual({ user, email });
      expect(await io.findUserByEmail(uniqueAddress())).toBeNull();
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
      expect(await io.listLoginEmails(user.id)).toStrictEqual([oldest, middle, newest]);
      expect(await io.listLoginEmails(uniqueId('usr'))).toEqual([]);
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
      expect(count).toBe(1);
      expect(await io.listLoginEmails(user.id)).toStrictEqual([kept]);
      expect(await io.findLoginEmail(othersEmail.address)).toStrictEqual(othersEmail);
      expect(await io.deleteLoginEmails(user.id, [])).toBe(0);
      expect(await io.listLoginEmails(user.id)).toStrictEqual([kept]);
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
      expect(await io.deleteAllLoginEmails(user.id)).toBe(2);
      expect(await io.listLoginEmails(user.id)).toEqual([]);
      expect(await io.findUserByEmail(first.address)).toBeNull();
      expect(await io.insertLoginEmail({ ...first, userId: other.id })).toBe(true);
      expect(await io.findLoginEmail(othersEmail.address)).toStrictEqual(othersEmail);
      expect(await io.deleteAllLoginEmails(user.id)).toBe(0);
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
      expect(await io.releaseUnverifiedLoginEmail(fresh.address, cutoff)).toBe(false);
      expect(await io.releaseUnverifiedLoginEmail(verified.address, cutoff)).toBe(false);
      expect(await io.releaseUnverifiedLoginEmail(stale.address, cutoff)).toBe(true);
      expect(await io.releaseUnverifiedLoginEmail(stale.address, cutoff)).toBe(false);
      expect(await io.releaseUnverifiedLoginEmail(uniqueAddress(), cutoff)).toBe(false);
      expect((await io.listLoginEmails(user.id)).map((email) => email.address).sort()).toEqual(
        [fresh.address, verified.address].sort(),
      );
    });

    it('marks an address verified once and keeps the first verification time', async () => {
      const io = getIo();
      const user = makeUser();
      await io.insertUser(user);
      const email = makeLoginEmail({ userId: user.id });
      await io.insertLoginEmail(email);
      expect(await io.markLoginEmailVerified(email.address, fixtureTime(10))).toBe(true);
      expect(await io.markLoginEmailVerified(email.address, fixtureTime(20))).toBe(false);
      expect(await io.findLoginEmail(email.address)).toStrictEqual({ ...email, verifiedAt: fixtureTime(10) });
      expect(await io.markLoginEmailVerified(uniqueAddress(), fixtureTime(10))).toBe(false);
    });
  });
}
