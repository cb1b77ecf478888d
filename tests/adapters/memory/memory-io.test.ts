import { MemoryIo } from '../../../src/adapters/memory';
import { InvalidCustomFieldsError } from '../../../src/ports';
import {
  fixtureTime,
  makeAccessRestriction,
  makeClient,
  makeLoginEmail,
  makeMembership,
  makeOrganization,
  makeUser,
  runIoConformanceTests,
} from '../../../src/testing';

runIoConformanceTests('memory', { create: async () => new MemoryIo() });

describe('MemoryIo', () => {
  it('refuses a second row with the same id, as a primary key would', async () => {
    const io = new MemoryIo();
    const user = makeUser();
    await io.insertUser(user);
    await expect(io.insertUser({ ...user, name: 'Other' })).rejects.toThrow('a user with that id already exists');
    expect((await io.findUserById(user.id))?.name).toBe(user.name);
  });

  it('refuses custom fields JSON cannot carry exactly, as the SQL Io does, writing nothing', async () => {
    const io = new MemoryIo();
    const user = makeUser();
    await expect(io.insertUser({ ...user, fields: { since: new Date(0) } })).rejects.toThrow(InvalidCustomFieldsError);
    expect(await io.findUserById(user.id)).toBeNull();
    await io.insertUser(user);
    const patch = { fields: { score: Number.NaN }, updatedAt: fixtureTime(1) };
    await expect(io.updateUser(user.id, patch)).rejects.toThrow('fields.score is NaN');
    expect(await io.findUserById(user.id)).toStrictEqual(user);
    const organization = makeOrganization();
    const membership = makeMembership({ organizationId: organization.id, userId: user.id });
    await io.insertOrganization(organization);
    await io.insertMembership(membership);
    await expect(io.updateMembershipFields(membership.id, { onChange: () => 1 })).rejects.toThrow(
      'fields.onChange is a function',
    );
    expect(await io.findMembershipById(membership.id)).toStrictEqual(membership);
  });

  it('inserts a batch of restrictions all or nothing', async () => {
    const io = new MemoryIo();
    const organization = makeOrganization();
    const client = makeClient({ organizationId: organization.id });
    await io.insertOrganization(organization);
    await io.insertClient(client);
    const existing = makeAccessRestriction({ clientId: client.id });
    await io.insertAccessRestrictions([existing]);
    const fresh = makeAccessRestriction({ clientId: client.id });
    await expect(io.insertAccessRestrictions([fresh, existing])).rejects.toThrow('already exists');
    expect(await io.listAccessRestrictions(client.id)).toStrictEqual([existing]);
  });

  describe('failure injection', () => {
    it('makes the next call of a method reject without writing, then behaves again', async () => {
      const io = new MemoryIo();
      const failure = new Error('disk on fire');
      io.failNext('insertUser', failure);
      const user = makeUser();
      await expect(io.insertUser(user)).rejects.toBe(failure);
      expect(await io.findUserById(user.id)).toBeNull();
      await io.insertUser(user);
      expect(await io.findUserById(user.id)).toStrictEqual(user);
    });

    it('queues failures injected several times', async () => {
      const io = new MemoryIo();
      io.failNext('findUserById');
      io.failNext('findUserById');
      await expect(io.findUserById('usr_x')).rejects.toThrow('injected failure in findUserById');
      await expect(io.findUserById('usr_x')).rejects.toThrow('injected failure in findUserById');
      await expect(io.findUserById('usr_x')).resolves.toBeNull();
    });

    it('fails a call made through a transaction, which rolls back what the transaction wrote', async () => {
      const io = new MemoryIo();
      io.failNext('insertLoginEmail');
      const user = makeUser();
      const email = makeLoginEmail({ userId: user.id });
      const work = io.transaction(async (tx) => {
        await tx.insertUser(user);
        await tx.insertLoginEmail(email);
      });
      await expect(work).rejects.toThrow('injected failure in insertLoginEmail');
      expect(await io.findUserById(user.id)).toBeNull();
    });

    it('fails a transaction before its work runs', async () => {
      const io = new MemoryIo();
      io.failNext('transaction');
      const work = jest.fn(async () => 'ran');
      await expect(io.transaction(work)).rejects.toThrow('injected failure in transaction');
      expect(work).not.toHaveBeenCalled();
      await expect(io.transaction(work)).resolves.toBe('ran');
    });
  });

  describe('transactions', () => {
    it('makes calls on the root Io wait for an open transaction, then see what it committed', async () => {
      const io = new MemoryIo();
      const user = makeUser();
      let signalInserted!: () => void;
      const inserted = new Promise<void>((resolve) => {
        signalInserted = resolve;
      });
      let allowCommit!: () => void;
      const commitAllowed = new Promise<void>((resolve) => {
        allowCommit = resolve;
      });
      const work = io.transaction(async (tx) => {
        await tx.insertUser(user);
        signalInserted();
        await commitAllowed;
      });
      await inserted;
      const read = io.findUserById(user.id);
      allowCommit();
      await work;
      expect(await read).toStrictEqual(user);
    });

    it('rejects a call on the root Io from inside a transaction instead of waiting forever', async () => {
      const io = new MemoryIo();
      const work = io.transaction(async () => io.findUserById('usr_x'));
      await expect(work).rejects.toThrow('findUserById was called on the root Io inside a transaction');
      await expect(io.transaction(async () => io.transaction(async () => 1))).rejects.toThrow(
        'transaction was called on the root Io inside a transaction',
      );
    });

    it('rejects a call on a transaction-bound Io once its transaction has ended', async () => {
      const io = new MemoryIo();
      const leaked = await io.transaction(async (tx) => tx);
      await expect(leaked.findUserById('usr_x')).rejects.toThrow('a transaction that has already ended');
      await expect(leaked.transaction(async () => 1)).rejects.toThrow('a transaction that has already ended');
    });

    it('lets the root Io be used again after a transaction, from the code that ran it', async () => {
      const io = new MemoryIo();
      const user = makeUser();
      await io.transaction(async (tx) => tx.insertUser(user));
      await io.updateUser(user.id, { name: 'After', updatedAt: fixtureTime(1) });
      expect((await io.findUserById(user.id))?.name).toBe('After');
    });
  });
});
