import * as t from 'io-ts';
import { SqlIo } from '../../src/adapters/sql';
import type { Io } from '../../src/ports/io';
import { describeDb } from '../support/databases';
import { makeWorld, ok, signUp } from '../support/setup';

/**
 * Found by a review: two PATCHes of different custom fields of one organization (or membership), whose
 * transactions both read the row before either writes, lost one of the two updates. The organization
 * row is locked now (Io.lockOrganization), so the second waits for the first and merges with it.
 */

function barrierIo(io: Io, methods: string[]) {
  let armed = false;
  let arrived = 0;
  let release: () => void = () => undefined;
  let gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const wrapTx = (tx: Io): Io =>
    new Proxy(tx, {
      get(object, property) {
        const value = Reflect.get(object, property, object);
        if (typeof value !== 'function') return value;
        if (armed && methods.includes(String(property))) {
          return async (...args: unknown[]) => {
            const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(object, args);
            arrived += 1;
            if (arrived >= 2) release();
            // Both transactions have read before either goes on (a timeout in case they cannot).
            await Promise.race([gate, new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
            return result;
          };
        }
        return value.bind(object);
      },
    });
  const root = new Proxy(io, {
    get(object, property) {
      if (property === 'transaction') {
        return <T>(work: (tx: Io) => Promise<T>) => object.transaction((tx) => work(wrapTx(tx)));
      }
      const value = Reflect.get(object, property, object);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
  return {
    io: root,
    arm() {
      armed = true;
      arrived = 0;
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
    },
  };
}

for (const kind of ['mariadb', 'postgres'] as const) {
  describeDb(kind, 'concurrent changes of custom fields', (database) => {
    it('organization: two PATCHes of different fields, both land', async () => {
      const barrier = barrierIo(new SqlIo(database().knex), ['findOrganizationById']);
      const world = makeWorld({
        io: barrier.io,
        fields: { organization: t.partial({ a: t.string, b: t.string }) },
      });
      const owner = await signUp(world, { email: `race-org-${kind}-${Date.now()}@example.com` });
      const org = ok<{ id: string }>(await world.accounts.organizations.create(owner.caller, { name: 'Acme' }));
      barrier.arm();
      const [first, second] = await Promise.all([
        world.accounts.organizations.update(owner.caller, org.id, { a: 'A' } as never),
        world.accounts.organizations.update(owner.caller, org.id, { b: 'B' } as never),
      ]);
      expect(first.ok && second.ok).toBe(true);
      const stored = await new SqlIo(database().knex).findOrganizationById(org.id);
      // Both answered 200, and both fields are stored (the organization row is locked).
      expect(Object.keys(stored?.fields ?? {}).sort()).toEqual(['a', 'b']);
    });

    it('membership: two PATCH /memberships of different fields, both land', async () => {
      const barrier = barrierIo(new SqlIo(database().knex), ['findMembershipById']);
      const world = makeWorld({
        io: barrier.io,
        fields: { membership: t.partial({ a: t.string, b: t.string }) },
      });
      const owner = await signUp(world, { email: `race-mem-o-${kind}-${Date.now()}@example.com` });
      const member = await signUp(world, { email: `race-mem-m-${kind}-${Date.now()}@example.com` });
      const org = ok<{ id: string }>(await world.accounts.organizations.create(owner.caller, { name: 'Acme' }));
      const membership = ok<{ id: string }>(
        await world.accounts.organizations.addMembership(owner.caller, org.id, {
          userId: member.userId,
          role: 'member',
        }),
      );
      barrier.arm();
      const [first, second] = await Promise.all([
        world.accounts.organizations.changeMembershipRole(owner.caller, membership.id, {
          role: 'member',
          a: 'A',
        } as never),
        world.accounts.organizations.changeMembershipRole(owner.caller, membership.id, {
          role: 'member',
          b: 'B',
        } as never),
      ]);
      expect(first.ok && second.ok).toBe(true);
      const stored = await new SqlIo(database().knex).findMembershipById(membership.id);
      expect(Object.keys(stored?.fields ?? {}).sort()).toEqual(['a', 'b']);
    });

    it('user (control): users.update locks the row, both fields land', async () => {
      const world = makeWorld({
        io: new SqlIo(database().knex),
        fields: { user: t.partial({ a: t.string, b: t.string }) },
      });
      const user = await signUp(world, { email: `race-user-${kind}-${Date.now()}@example.com` });
      await Promise.all([
        world.accounts.users.update(user.caller, user.userId, { a: 'A' } as never),
        world.accounts.users.update(user.caller, user.userId, { b: 'B' } as never),
      ]);
      const stored = await world.io.findUserById(user.userId);
      expect(Object.keys(stored?.fields ?? {}).sort()).toEqual(['a', 'b']);
    });
  });
}
