import { SqlIo, SqlRateLimitStore } from '../../../src/adapters/sql';
import {
  fixtureTime,
  MINUTE_MS,
  makeAccessRestriction,
  makeClient,
  makeLoginEmail,
  makeOrganization,
  makeRefreshToken,
  makeSession,
  makeUser,
  makeVerificationCode,
} from '../../../src/testing';
import { describeEachDb } from '../../support/databases';
import { recordQueries } from '../../support/query-recorder';

describeEachDb('SqlIo hot paths and race-safe statements', (database) => {
  const NOW = fixtureTime(MINUTE_MS);

  async function sessionWithUser() {
    const io = new SqlIo(database().knex);
    const user = makeUser();
    const session = makeSession({ userId: user.id });
    await io.insertUser(user);
    await io.insertSession(session);
    return { io, user, session };
  }

  it('validates a strict access token in one query: the session joined to its user by primary key', async () => {
    const { io, user, session } = await sessionWithUser();
    const { result, queries } = await recordQueries(database().knex, () => io.findSessionWithUser(session.id));
    expect(result).toStrictEqual({ session, user });
    expect(queries).toHaveLength(1);
    expect(queries[0].sql).toMatch(/join/i);
  });

  it('authenticates a client key in one query: the client with its roles and restrictions', async () => {
    const io = new SqlIo(database().knex);
    const organization = makeOrganization();
    const client = makeClient({ organizationId: organization.id, roles: ['internal', 'external'] });
    const restrictions = [1, 2].map((offset) =>
      makeAccessRestriction({ clientId: client.id, createdAt: fixtureTime(offset) }),
    );
    await io.insertOrganization(organization);
    await io.insertClient(client);
    await io.insertAccessRestrictions(restrictions);
    const { result, queries } = await recordQueries(database().knex, () => io.findClientWithRestrictions(client.id));
    expect(result).toStrictEqual({ client, restrictions });
    expect(queries).toHaveLength(1);
  });

  it('writes lastUsedAt with one conditional update, and not at all when it is recent', async () => {
    const io = new SqlIo(database().knex);
    const organization = makeOrganization();
    const client = makeClient({ organizationId: organization.id, lastUsedAt: fixtureTime() });
    await io.insertOrganization(organization);
    await io.insertClient(client);
    const { result, queries } = await recordQueries(database().knex, () =>
      io.touchClientLastUsed(client.id, NOW, fixtureTime(-MINUTE_MS)),
    );
    expect(result).toBe(false);
    expect(queries).toHaveLength(1);
    expect(queries[0].sql).toMatch(/^update .*last_used_at.* is null or .*last_used_at.* < /i);
  });

  it('consumes a refresh token with one conditional update decided by the affected rows', async () => {
    const { io, session } = await sessionWithUser();
    const token = makeRefreshToken({ sessionId: session.id });
    await io.insertRefreshToken(token);
    const { result, queries } = await recordQueries(database().knex, () =>
      io.consumeRefreshToken(token.tokenHash, NOW),
    );
    expect(result).toBe(true);
    expect(queries).toHaveLength(1);
    expect(queries[0].sql).toMatch(/^update .*refresh_tokens.* where .*consumed_at.* is null/i);
  });

  it('consumes a code and counts an attempt each with one conditional update, the counter moving in SQL', async () => {
    const io = new SqlIo(database().knex);
    const code = makeVerificationCode();
    await io.insertVerificationCode(code);
    const attempt = await recordQueries(database().knex, () => io.reserveCodeAttempt(code.id, 5, NOW));
    expect(attempt.result).toBe(true);
    expect(attempt.queries).toHaveLength(1);
    expect(attempt.queries[0].sql).toMatch(/^update .* set .*attempts.* = .*attempts.* \+ \S+ where .*attempts.* < /i);
    const consume = await recordQueries(database().knex, () => io.consumeCode(code.id, NOW));
    expect(consume.result).toBe(true);
    expect(consume.queries).toHaveLength(1);
    expect(consume.queries[0].sql).toMatch(/^update .* where .*consumed_at.* is null/i);
  });

  it('finds the user owning an address in one query', async () => {
    const io = new SqlIo(database().knex);
    const user = makeUser();
    const email = makeLoginEmail({ userId: user.id });
    await io.insertUser(user);
    await io.insertLoginEmail(email);
    const { queries } = await recordQueries(database().knex, () => io.findUserByEmail(email.address));
    expect(queries).toHaveLength(1);
  });

  it('writes a registration (user, email, code) inside one transaction', async () => {
    const io = new SqlIo(database().knex);
    const user = makeUser();
    const email = makeLoginEmail({ userId: user.id });
    const code = makeVerificationCode({ purpose: 'verify-email', address: email.address });
    const { queries } = await recordQueries(database().knex, () =>
      io.transaction(async (tx) => {
        await tx.insertUser(user);
        await tx.insertLoginEmail(email);
        await tx.insertVerificationCode(code);
      }),
    );
    const inserts = queries.filter((query) => /^insert/i.test(query.sql));
    expect(inserts).toHaveLength(3);
    expect(new Set(inserts.map((query) => query.txId)).size).toBe(1);
    expect(inserts[0].txId).toBeDefined();
  });

  it('counts a rate-limit hit in one statement on PostgreSQL and SQLite, one locked upsert on MySQL', async () => {
    const store = new SqlRateLimitStore(database().knex);
    const { result, queries } = await recordQueries(database().knex, () =>
      store.hit(`count-test:${Math.random()}`, MINUTE_MS, NOW),
    );
    expect(result.count).toBe(1);
    const statements = queries.filter((query) => !/^(begin|commit|start transaction)/i.test(query.sql.trim()));
    expect(statements).toHaveLength(database().kind === 'mariadb' ? 2 : 1);
  });
});
