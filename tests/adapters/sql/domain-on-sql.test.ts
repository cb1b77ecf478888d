import { randomUUID } from 'node:crypto';
import { MemoryRateLimitStore } from '../../../src/adapters/memory';
import { SqlIo, SqlRateLimitStore } from '../../../src/adapters/sql';
import { createAccounts } from '../../../src/create-accounts';
import type { ClientWithKey } from '../../../src/domain/clients';
import type { Tokens } from '../../../src/domain/sessions';
import type { Organization } from '../../../src/ports/entities';
import { describeEachDb } from '../../support/databases';
import { addUser, NO_ORIGIN } from '../../support/org-fixtures';
import { recordQueries } from '../../support/query-recorder';
import { errCode, lastCode, makeWorld, ok, REQUEST, STRONG_PASSWORD, signUp } from '../../support/setup';

/**
 * The domain services on a real database: the races the Io conformance suite proves for single
 * statements must also hold for whole use cases (a loser must get its documented error, never an
 * infrastructure failure), and the hot paths must cost the round trips the design promises.
 */
describeEachDb('the domain services on SqlIo', (database) => {
  const RACERS = 20;
  const sqlWorld = () => makeWorld({ io: new SqlIo(database().knex) });
  const race = <T>(attempt: (index: number) => Promise<T>) =>
    Promise.all(Array.from({ length: RACERS }, (_, index) => attempt(index)));

  it(`registers one of ${RACERS} parallel sign-ups of one address; every other one gets EMAIL_TAKEN`, async () => {
    const world = sqlWorld();
    const email = `racer-${randomUUID()}@example.com`;
    const names = Array.from({ length: RACERS }, (_, index) => `Racer ${index} ${email}`);
    const results = await race((index) =>
      world.accounts.users.register({ name: names[index], email, password: STRONG_PASSWORD }, REQUEST),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(results.filter((result) => result.err).map(errCode)).toEqual(Array(RACERS - 1).fill('EMAIL_TAKEN'));
    // Losers roll back their user row too: one user, one address, one verification code.
    const [{ count: users }] = await database().knex('users').whereIn('name', names).count({ count: '*' });
    expect(Number(users)).toBe(1);
    const codes = await database().knex('verification_codes').where({ address: email, purpose: 'verify-email' });
    expect(codes).toHaveLength(1);
  });

  it('registers 64 adjacent addresses at once without one failure (no gap-lock deadlock)', async () => {
    const world = makeWorld({ io: new SqlIo(database().knex), config: { registrationsPerIp: 1000 } });
    const tag = randomUUID().slice(0, 8);
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, index) =>
        world.accounts.users.register(
          { name: `Adjacent ${index}`, email: `adjacent-${tag}-${String(index).padStart(2, '0')}@example.com` },
          REQUEST,
        ),
      ),
    );
    expect(results.filter((result) => result.err).map((result) => result.val)).toEqual([]);
  });

  it(`rotates a refresh token for exactly one of ${RACERS} parallel refreshes`, async () => {
    const world = sqlWorld();
    const { tokens } = await signUp(world, { email: `refresh-${randomUUID()}@example.com` });
    const results = await race(() => world.accounts.sessions.refresh({ refreshToken: tokens.refreshToken }, REQUEST));
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(results.filter((result) => result.err).map(errCode)).toEqual(
      Array(RACERS - 1).fill('INVALID_REFRESH_TOKEN'),
    );
    const issued = await database().knex('refresh_tokens').where({ session_id: tokens.sessionId });
    expect(issued).toHaveLength(2);
  });

  it(`logs in exactly one of ${RACERS} parallel uses of one login code`, async () => {
    const world = sqlWorld();
    const email = `code-${randomUUID()}@example.com`;
    await signUp(world, { email });
    const state = `state-${randomUUID()}`;
    ok(await world.accounts.sessions.requestLoginCode({ email, state }, REQUEST));
    const code = await lastCode(world, email, 'login');
    const results = await race(() => world.accounts.sessions.loginWithCode({ code, state }, REQUEST));
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(results.filter((result) => result.err).map(errCode)).toEqual(Array(RACERS - 1).fill('INVALID_CODE'));
  });

  it('validates an access token strictly in one query', async () => {
    const world = sqlWorld();
    const { tokens, userId } = await signUp(world, { email: `strict-${randomUUID()}@example.com` });
    const { result, queries } = await recordQueries(database().knex, () =>
      world.accounts.sessions.authenticate(tokens.accessToken),
    );
    expect(ok<{ id: string }>(result).id).toBe(userId);
    expect(queries).toHaveLength(1);
  });

  it('authenticates a client key in one Io query, plus one write of lastUsedAt at most once a minute', async () => {
    const world = sqlWorld();
    const owner = await addUser(world);
    const organization = ok<Organization>(await world.accounts.organizations.create(owner, { name: 'Acme' }));
    const { key } = ok<ClientWithKey>(await world.accounts.clients.create(owner, organization.id, { name: 'Job' }));
    const authenticate = () =>
      recordQueries(database().knex, () => world.accounts.clients.authenticate(key, NO_ORIGIN));

    const first = await authenticate();
    ok(first.result);
    expect(first.queries.map((query) => query.sql.trim().split(' ')[0].toLowerCase())).toEqual(['select', 'update']);
    world.clock.advance(59_000);
    expect((await authenticate()).queries).toHaveLength(1);
    world.clock.advance(2_000);
    expect((await authenticate()).queries).toHaveLength(2);
  });

  it.each([
    ['the shared SQL store', true],
    ['a clientRateLimits store in memory', false],
  ])('counts a key against reqsPerSec in %s', async (_, shared) => {
    const world = sqlWorld();
    const accounts = createAccounts({
      io: world.io,
      lib: world.lib,
      rateLimits: new SqlRateLimitStore(database().knex),
      clientRateLimits: shared ? undefined : new MemoryRateLimitStore(),
    });
    const owner = await addUser(world);
    const organization = ok<Organization>(await accounts.organizations.create(owner, { name: 'Acme' }));
    const { key } = ok<ClientWithKey>(await accounts.clients.create(owner, organization.id, { name: 'Job' }));
    ok(await accounts.clients.authenticate(key, NO_ORIGIN)); // writes lastUsedAt

    const { result, queries } = await recordQueries(database().knex, () =>
      accounts.clients.authenticate(key, NO_ORIGIN),
    );
    ok(result);
    const counter = queries.filter((query) => /rate_limits/.test(query.sql));
    const transactionControl = queries.filter((query) => /^(begin|commit|start transaction)/i.test(query.sql.trim()));
    expect(queries.length - counter.length - transactionControl.length).toBe(1); // the client with its restrictions
    // One atomic statement per hit (MariaDB: an upsert with RETURNING), and never a transaction.
    expect(counter).toHaveLength(shared ? 1 : 0);
    expect(transactionControl).toHaveLength(0);
  });

  it('refreshes tokens in one lookup and one transaction of the fewest statements the dialect allows', async () => {
    const world = sqlWorld();
    const { tokens } = await signUp(world, { email: `rotate-${randomUUID()}@example.com` });
    const { result, queries } = await recordQueries(database().knex, () =>
      world.accounts.sessions.refresh({ refreshToken: tokens.refreshToken }, REQUEST),
    );
    expect(ok<Tokens>(result).sessionId).toBe(tokens.sessionId);
    const outside = queries.filter((query) => query.txId === undefined);
    expect(outside).toHaveLength(1); // the refresh token with its session and user
    const control = /^(begin|commit|set transaction|start transaction|savepoint|release)/i;
    const inside = queries.filter((query) => query.txId !== undefined && !control.test(query.sql.trim()));
    // Lock the user (with the session), then write: PostgreSQL consumes, touches and inserts in one
    // statement, MySQL consumes and touches in one and inserts in another; SQLite runs three local ones.
    const expected = {
      postgres: ['select', 'with'],
      mariadb: ['select', 'update', 'insert'],
      sqlite: ['select', 'update', 'update', 'insert'],
    }[database().kind];
    expect(inside.map((query) => query.sql.trim().split(/\s/)[0]!.toLowerCase())).toEqual(expected);
  });
});
