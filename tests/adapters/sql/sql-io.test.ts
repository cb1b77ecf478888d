import knexFactory from 'knex';
import { SqlIo, SqlIoError } from '../../../src/adapters/sql';
import { InvalidCustomFieldsError } from '../../../src/ports';
import {
  fixtureTime,
  makeAccessRestriction,
  makeClient,
  makeLoginEmail,
  makeMembership,
  makeOrganization,
  makeRefreshToken,
  makeSession,
  makeUser,
} from '../../../src/testing';
import { describeDb, describeEachDb } from '../../support/databases';

describeEachDb('SqlIo', (database) => {
  it('runs a transaction that lost a deadlock again, with nothing of the lost attempt left, up to 8 times in all', async () => {
    const io = new SqlIo(database().knex);
    const organization = makeOrganization();
    let attempts = 0;
    const deadlock = Object.assign(new Error('deadlock'), { code: 'ER_LOCK_DEADLOCK', errno: 1213 });
    const result = await io.transaction(async (tx) => {
      attempts += 1;
      await tx.insertOrganization({ ...organization, name: `attempt ${attempts}` });
      if (attempts < 3) throw deadlock;
      return 'done';
    });
    expect({ result, attempts }).toEqual({ result: 'done', attempts: 3 });
    expect((await io.findOrganizationById(organization.id))?.name).toBe('attempt 3');

    let forever = 0;
    const lost = await io
      .transaction(async () => {
        forever += 1;
        throw Object.assign(new Error('serialization'), { code: '40001' });
      })
      .catch((error: unknown) => error);
    expect({ forever, code: (lost as { code?: string }).code }).toEqual({ forever: 8, code: '40001' });

    // Not a conflict, and not one to wait again for either: a lock wait timeout means the lock is still held.
    for (const failure of [new Error('not a conflict'), Object.assign(new Error('lock wait'), { errno: 1205 })]) {
      let once = 0;
      await expect(
        io.transaction(async () => {
          once += 1;
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(once).toBe(1);
    }
  });

  it('refuses the prepared hot statements on a transaction that has ended, and writes nothing', async () => {
    const knex = database().knex;
    const io = new SqlIo(knex);
    const user = makeUser();
    const session = makeSession({ userId: user.id });
    await io.insertUser(user);
    await io.insertSession(session);
    let ended: SqlIo | undefined;
    await knex.transaction(async (trx) => {
      ended = new SqlIo(trx);
    });
    const token = makeRefreshToken({ sessionId: session.id });
    await expect(ended!.findSessionWithUser(session.id)).rejects.toBeInstanceOf(SqlIoError);
    await expect(ended!.insertRefreshToken(token)).rejects.toBeInstanceOf(SqlIoError);
    await expect(ended!.lockUser(user.id)).rejects.toBeInstanceOf(SqlIoError);
    expect(await io.findRefreshToken(token.tokenHash)).toBeNull();
  });

  it("reports the prepared hot statements to knex's listeners like its own: query, then its response or error", async () => {
    const knex = database().knex;
    const io = new SqlIo(knex);
    const events: Array<[string, string | undefined]> = [];
    const onQuery = (query: { __knexQueryUid?: string }) => events.push(['query', query.__knexQueryUid]);
    const onResponse = (_response: unknown, query: { __knexQueryUid?: string }) =>
      events.push(['response', query.__knexQueryUid]);
    const onError = (_error: unknown, query: { __knexQueryUid?: string }) =>
      events.push(['error', query.__knexQueryUid]);
    knex.on('query', onQuery).on('query-response', onResponse).on('query-error', onError);
    try {
      await io.findSessionWithUser('ses_none');
      await io.insertRefreshToken(makeRefreshToken({ sessionId: 'ses_none' })).catch(() => undefined); // no such session
    } finally {
      knex
        .removeListener('query', onQuery)
        .removeListener('query-response', onResponse)
        .removeListener('query-error', onError);
    }
    expect(events.map(([kind]) => kind)).toEqual(['query', 'response', 'query', 'error']);
    expect(events[0]![1]).toBe(events[1]![1]);
    expect(events[2]![1]).toBe(events[3]![1]);
    expect(events[0]![1]).not.toBe(events[2]![1]);
  });

  it('throws a SqlIoError that names the operation and carries no bound value', async () => {
    const io = new SqlIo(database().knex);
    const organization = makeOrganization();
    const client = makeClient({ organizationId: organization.id });
    await io.insertOrganization(organization);
    await io.insertClient(client);
    const error = await io.insertClient({ ...client, name: 'same id again' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SqlIoError);
    expect((error as SqlIoError).operation).toBe('insertClient');
    expect((error as SqlIoError).code).toEqual(expect.any(String));
    const everything = JSON.stringify({
      ...(error as object),
      message: (error as Error).message,
      stack: (error as Error).stack,
    });
    expect(everything).not.toContain(client.secretHash);
    expect(everything).not.toContain(client.id);
    expect((error as Error).cause).toBeUndefined();
  });

  it('refuses custom fields JSON cannot carry exactly before any statement, as itself, not as a SqlIoError', async () => {
    const io = new SqlIo(database().knex);
    const organization = makeOrganization();
    const client = makeClient({ organizationId: organization.id, fields: { rotatedAt: new Date(0) } });
    await io.insertOrganization(organization);
    const error = await io.insertClient(client).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidCustomFieldsError);
    expect((error as Error).message).toContain(
      'custom fields of a client cannot be stored: fields.rotatedAt is a Date',
    );
    expect(await io.findClientById(client.id)).toBeNull();
    const inTransaction = io.transaction((tx) =>
      tx.updateOrganization(organization.id, {
        fields: { ratio: Number.POSITIVE_INFINITY },
        updatedAt: fixtureTime(1),
      }),
    );
    await expect(inTransaction).rejects.toThrow(InvalidCustomFieldsError);
    expect(await io.findOrganizationById(organization.id)).toStrictEqual(organization);
  });

  it('reads a null fields column, as rows from before migration 008 have, as {}', async () => {
    const io = new SqlIo(database().knex);
    const organization = makeOrganization({ fields: { region: 'eu' } });
    const user = makeUser({ fields: { plan: 'pro' } });
    const membership = makeMembership({ organizationId: organization.id, userId: user.id, fields: { title: 'CFO' } });
    const client = makeClient({ organizationId: organization.id, fields: { team: 'payments' } });
    await io.insertOrganization(organization);
    await io.insertUser(user);
    await io.insertMembership(membership);
    await io.insertClient(client);
    const knex = database().knex;
    await knex('organizations').where({ id: organization.id }).update({ fields: null });
    await knex('users').where({ id: user.id }).update({ fields: null });
    await knex('memberships').where({ id: membership.id }).update({ fields: null });
    await knex('clients').where({ id: client.id }).update({ fields: null });
    expect(await io.findOrganizationById(organization.id)).toStrictEqual({ ...organization, fields: {} });
    expect(await io.findUserById(user.id)).toStrictEqual({ ...user, fields: {} });
    expect(await io.findMembershipById(membership.id)).toStrictEqual({ ...membership, fields: {} });
    expect((await io.findClientWithRestrictions(client.id))?.client).toStrictEqual({ ...client, fields: {} });
  });

  it('works inside a transaction the application opened, committing with it', async () => {
    const user = makeUser();
    const email = makeLoginEmail({ userId: user.id });
    await database().knex.transaction(async (trx) => {
      const io = new SqlIo(trx);
      await io.insertUser(user);
      await io.transaction(async (tx) => {
        await tx.insertLoginEmail(email);
      });
    });
    expect(await new SqlIo(database().knex).findUserByEmail(email.address)).toStrictEqual({ user, email });
  });

  it('cascades a user deletion to login emails, memberships, sessions and refresh tokens', async () => {
    const io = new SqlIo(database().knex);
    const user = makeUser();
    const organization = makeOrganization();
    const session = makeSession({ userId: user.id });
    const token = makeRefreshToken({ sessionId: session.id });
    const email = makeLoginEmail({ userId: user.id });
    await io.insertUser(user);
    await io.insertOrganization(organization);
    await io.insertLoginEmail(email);
    await io.insertMembership(makeMembership({ organizationId: organization.id, userId: user.id }));
    await io.insertSession(session);
    await io.insertRefreshToken(token);
    await database().knex('users').where({ id: user.id }).delete();
    expect(await io.findLoginEmail(email.address)).toBeNull();
    expect(await io.listMembershipsOfUser(user.id)).toEqual([]);
    expect(await io.findSessionById(session.id)).toBeNull();
    expect(await io.findRefreshToken(token.tokenHash)).toBeNull();
  });
});

describeDb('mariadb', 'SqlIo on a caller-supplied mysql2 pool', (database) => {
  const connection = () => {
    const url = new URL(database().url);
    return { host: url.hostname, port: Number(url.port), user: url.username, database: url.pathname.slice(1) };
  };

  it('refuses a pool that would read DATETIME in the local time zone', async () => {
    const knex = knexFactory({ client: 'mysql2', connection: connection() });
    try {
      expect(() => new SqlIo(knex)).toThrow(/timezone/);
    } finally {
      await knex.destroy();
    }
  });

  it("round-trips timestamps exactly on a pool with timezone 'Z' and no dateStrings", async () => {
    const knex = knexFactory({ client: 'mysql2', connection: { ...connection(), timezone: 'Z' } });
    try {
      const io = new SqlIo(knex);
      const user = makeUser({ createdAt: fixtureTime(-1), bannedAt: fixtureTime(999) });
      await io.insertUser(user);
      expect(await io.findUserById(user.id)).toStrictEqual(user);
    } finally {
      await knex.destroy();
    }
  });

  it('runs the hot-path lookups through indexes, never a table scan (EXPLAIN)', async () => {
    const knex = database().knex;
    const io = new SqlIo(knex);
    const user = makeUser();
    const session = makeSession({ userId: user.id });
    const token = makeRefreshToken({ sessionId: session.id });
    const organization = makeOrganization();
    const client = makeClient({ organizationId: organization.id });
    await io.insertUser(user);
    await io.insertSession(session);
    await io.insertRefreshToken(token);
    await io.insertOrganization(organization);
    await io.insertClient(client);
    await io.insertAccessRestrictions([makeAccessRestriction({ clientId: client.id })]);

    const queries: Array<{ sql: string; bindings: string[] }> = [];
    const record = (query: { sql: string; bindings: string[] }) => queries.push(query);
    knex.on('query', record);
    await io.findSessionWithUser(session.id);
    await io.findClientWithRestrictions(client.id);
    await io.findRefreshToken(token.tokenHash);
    knex.removeListener('query', record);

    expect(queries).toHaveLength(3);
    for (const query of queries) {
      const [plan] = (await knex.raw(`explain ${query.sql}`, query.bindings)) as [
        Array<{ type: string; key: unknown }>,
      ];
      for (const step of plan) {
        expect(step.type).not.toBe('ALL');
        expect(step.key).not.toBeNull();
      }
    }
  });
});

for (const kind of ['mariadb', 'postgres'] as const) {
  describeDb(kind, 'countOwners in a transaction', (database) => {
    it('locks the owner rows, so a concurrent demotion check waits and then sees the result', async () => {
      const knex = database().knex;
      const io = new SqlIo(knex);
      const organization = makeOrganization();
      const [first, second] = [makeUser(), makeUser()];
      const memberships = [first, second].map((user) =>
        makeMembership({ organizationId: organization.id, userId: user.id, role: 'owner' }),
      );
      await io.insertOrganization(organization);
      for (const user of [first, second]) await io.insertUser(user);
      for (const membership of memberships) await io.insertMembership(membership);

      let releaseFirst!: () => void;
      const firstMayFinish = new Promise<void>((resolve) => {
        releaseFirst = resolve;
      });
      let firstCounted!: () => void;
      const firstHasCounted = new Promise<void>((resolve) => {
        firstCounted = resolve;
      });
      const firstDemotion = io.transaction(async (tx) => {
        const owners = await tx.countOwners(organization.id);
        firstCounted();
        await firstMayFinish;
        if (owners > 1) await tx.updateMembershipRole(memberships[0].id, 'admin');
        return owners;
      });
      await firstHasCounted;

      let secondQuerySent!: () => void;
      const secondHasQueried = new Promise<void>((resolve) => {
        secondQuerySent = resolve;
      });
      const onQuery = (query: { sql: string }) => {
        if (/^select .*memberships/i.test(query.sql)) secondQuerySent();
      };
      knex.on('query', onQuery);
      const secondDemotion = io.transaction(async (tx) => {
        const owners = await tx.countOwners(organization.id);
        if (owners > 1) await tx.updateMembershipRole(memberships[1].id, 'admin');
        return owners;
      });
      await secondHasQueried;
      knex.removeListener('query', onQuery);
      // Give the second locking read time to reach the server and block on the first one's locks.
      await new Promise((resolve) => setTimeout(resolve, 100));
      releaseFirst();

      expect(await firstDemotion).toBe(2);
      expect(await secondDemotion).toBe(1);
      expect(await io.countOwners(organization.id)).toBe(1);
    });
  });
}
