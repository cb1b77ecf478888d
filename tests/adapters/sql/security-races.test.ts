import { randomUUID } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { SqlIo } from '../../../src/adapters/sql';
import type { Caller } from '../../../src/domain/context';
import type { Tokens } from '../../../src/domain/sessions';
import { describeEachDb } from '../../support/databases';
import { errCode, lastCode, makeWorld, ok, REQUEST, signUp, signUpSysadmin, type TestWorld } from '../../support/setup';

/**
 * The security review's races (findings 3 and 9), on every SQL dialect: a change of credentials wins
 * against logins in flight, and a user keeps at least one login email however many removals run at
 * once. Each failed on the reviewed code on MariaDB and PostgreSQL.
 */
const RACERS = 20;
/** Parallel logins of one account from one address must not meet the guessing limits first. */
const ROOMY_LIMITS = { loginFailuresPerIdentifierAndIp: 1000, loginFailuresPerIdentifier: 1000 };

interface Gate {
  /** Resolves once `count` password checks are waiting at the gate. */
  allWaiting: Promise<void>;
  open(): void;
}

/** A promise and the function that resolves it. */
function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { promise, fire };
}

/**
 * Holds every password login of `password` right after its bcrypt comparison, before it opens a
 * session: the moment a login is in flight. Other checks (a password change's own) pass straight on.
 */
function holdPasswordChecks(world: TestWorld, password: string, count: number): Gate & { stopHolding(): void } {
  let holding = true;
  let waiting = 0;
  const released = signal();
  const reached = signal();
  const verify = world.lib.verifyPassword.bind(world.lib);
  world.lib.verifyPassword = async (candidate, hash) => {
    const matches = await verify(candidate, hash);
    if (holding && candidate === password) {
      waiting += 1;
      if (waiting === count) reached.fire();
      await released.promise;
    }
    return matches;
  };
  return {
    allWaiting: reached.promise,
    open: released.fire,
    stopHolding: () => {
      holding = false;
    },
  };
}

/** Whether tokens still work in any way: strict validation or a refresh. */
async function stillWorks(world: TestWorld, tokens: Tokens): Promise<boolean> {
  const strict = await world.accounts.sessions.authenticate(tokens.accessToken);
  const refreshed = await world.accounts.sessions.refresh({ refreshToken: tokens.refreshToken }, REQUEST);
  return strict.ok || refreshed.ok;
}

describeEachDb('finding 3: an in-flight login with the old password survives a credential change', (database) => {
  const sqlWorld = () => makeWorld({ io: new SqlIo(database().knex), config: ROOMY_LIMITS });
  const email = () => `inflight-${randomUUID()}@example.com`;

  const changes: Array<
    [string, (world: TestWorld, alice: Awaited<ReturnType<typeof signUp>>, root: Caller) => Promise<void>]
  > = [
    [
      'a password change by the user',
      async (world, alice) => {
        const input = { currentPassword: alice.password, newPassword: 'a brand new passphrase' };
        ok(await world.accounts.users.changePassword(alice.caller, alice.userId, input, REQUEST));
      },
    ],
    [
      'a password reset by a sysadmin',
      async (world, alice, root) => {
        ok(await world.accounts.users.changePassword(root, alice.userId, { newPassword: 'a brand new passphrase' }));
      },
    ],
    [
      'a ban, even once lifted',
      async (world, alice, root) => {
        ok(await world.accounts.users.ban(root, alice.userId));
        ok(await world.accounts.users.unban(root, alice.userId));
      },
    ],
    [
      'a deletion',
      async (world, alice) => {
        ok(await world.accounts.users.delete(alice.caller, alice.userId));
      },
    ],
  ];

  it.each(changes)(`no session of ${RACERS} logins held in flight survives %s`, async (_name, change) => {
    const world = sqlWorld();
    const root = (await signUpSysadmin(world)).caller;
    const alice = await signUp(world, { email: email() });
    const gate = holdPasswordChecks(world, alice.password, RACERS);
    const logins = Array.from({ length: RACERS }, () =>
      world.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST),
    );
    await gate.allWaiting;
    gate.stopHolding();
    await change(world, alice, root);
    gate.open();
    const results = await Promise.all(logins);
    for (const result of results) {
      if (result.ok) expect(await stillWorks(world, result.val)).toBe(false);
      else expect(['INVALID_CREDENTIALS', 'ACCOUNT_DISABLED']).toContain(errCode(result));
    }
    expect(await stillWorks(world, alice.tokens)).toBe(change === changes[0]![1]);
  });

  it('a login in flight never writes its upgraded old hash over a password changed meanwhile', async () => {
    // The configured cost is above the stored one, so the login upgrades the hash after checking it.
    const world = makeWorld({
      io: new SqlIo(database().knex),
      config: ROOMY_LIMITS,
      libOptions: { passwords: { bcryptCost: 5 } },
    });
    const alice = await signUp(world, { email: email() });
    await world.io.updateUser(alice.userId, {
      passwordHash: bcrypt.hashSync(alice.password, 4),
      updatedAt: world.clock.now(),
    });
    const gate = holdPasswordChecks(world, alice.password, 1);
    const login = world.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST);
    await gate.allWaiting;
    gate.stopHolding();
    const newPassword = 'a brand new passphrase';
    ok(
      await world.accounts.users.changePassword(
        alice.caller,
        alice.userId,
        { currentPassword: alice.password, newPassword },
        REQUEST,
      ),
    );
    gate.open();
    await login;
    const withNew = await world.accounts.sessions.loginWithPassword(
      { email: alice.email, password: newPassword },
      REQUEST,
    );
    expect(withNew.ok).toBe(true);
    const withOld = await world.accounts.sessions.loginWithPassword(
      { email: alice.email, password: alice.password },
      REQUEST,
    );
    expect(errCode(withOld)).toBe('INVALID_CREDENTIALS');
  });

  it.each(changes)('hands out no new tokens to a refresh held in flight across %s', async (_name, change) => {
    const world = sqlWorld();
    const root = (await signUpSysadmin(world)).caller;
    const alice = await signUp(world, { email: email() });
    const other = ok<Tokens>(
      await world.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST),
    );
    // Hold the refresh after it has read the session and before its transaction.
    const held = signal();
    const waiting = signal();
    const io = world.accounts.deps.io;
    const read = io.findRefreshTokenWithSession.bind(io);
    io.findRefreshTokenWithSession = async (tokenHash) => {
      const found = await read(tokenHash);
      if (found?.session.id === other.sessionId) {
        waiting.fire();
        await held.promise;
      }
      return found;
    };
    const refresh = world.accounts.sessions.refresh({ refreshToken: other.refreshToken }, REQUEST);
    await waiting.promise;
    io.findRefreshTokenWithSession = read;
    await change(world, alice, root);
    held.fire();
    expect(errCode(await refresh)).toBe('INVALID_REFRESH_TOKEN');
  });

  it(`leaves no session of the old password alive when ${RACERS} logins race a password change`, async () => {
    const world = sqlWorld();
    const alice = await signUp(world, { email: email() });
    const input = { currentPassword: alice.password, newPassword: 'a brand new passphrase' };
    const logins = Array.from({ length: RACERS }, (_, index) =>
      new Promise((resolve) => setTimeout(resolve, index)).then(() =>
        world.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST),
      ),
    );
    const changed = new Promise((resolve) => setTimeout(resolve, RACERS / 2)).then(() =>
      world.accounts.users.changePassword(alice.caller, alice.userId, input, REQUEST),
    );
    ok(await changed);
    for (const result of await Promise.all(logins)) {
      if (result.ok) expect(await stillWorks(world, result.val)).toBe(false);
    }
    const fresh = ok<Tokens>(
      await world.accounts.sessions.loginWithPassword({ email: alice.email, password: input.newPassword }, REQUEST),
    );
    expect(await stillWorks(world, fresh)).toBe(true);
  });
});

describeEachDb('concurrency on many users answers without an infrastructure failure', (database) => {
  it(`serves ${RACERS} parallel code requests, registrations, code logins and address additions`, async () => {
    const world = makeWorld({ io: new SqlIo(database().knex), config: ROOMY_LIMITS });
    const tag = randomUUID().slice(0, 8);
    const users = await Promise.all(
      Array.from({ length: RACERS }, (_, index) => signUp(world, { email: `many${index}-${tag}@example.com` })),
    );
    const state = (index: number) => `state-${tag}-${index}-0123456789`;
    const outcomes = await Promise.all([
      ...users.map((user, index) =>
        world.accounts.sessions.requestLoginCode({ email: user.email, state: state(index) }, REQUEST),
      ),
      ...users.map((_, index) =>
        world.accounts.sessions.requestLoginCode(
          { email: `nobody${index}-${tag}@example.com`, state: state(100 + index) },
          REQUEST,
        ),
      ),
      ...users.map((_, index) =>
        world.accounts.users.register({ name: 'Many', email: `new${index}-${tag}@example.com` }, REQUEST),
      ),
      ...users.map((user, index) =>
        world.accounts.emails.add(user.caller, user.userId, { emails: [`more${index}-${tag}@example.com`] }, REQUEST),
      ),
    ]);
    expect(outcomes.filter((outcome) => outcome.err).map(errCode)).toEqual([]);
    const codes = await Promise.all(users.map((user) => lastCode(world, user.email, 'login')));
    const logins = await Promise.all(
      users.map((_, index) =>
        world.accounts.sessions.loginWithCode({ code: codes[index]!, state: state(index) }, REQUEST),
      ),
    );
    expect(logins.filter((login) => login.err).map(errCode)).toEqual([]);
  });
});

describeEachDb('finding 9: a user can end with no login email', (database) => {
  it(`keeps one address when ${RACERS} removals of different addresses run at once`, async () => {
    const world = makeWorld({ io: new SqlIo(database().knex) });
    const alice = await signUp(world, { email: `keeper-${randomUUID()}@example.com` });
    const others = Array.from({ length: RACERS - 1 }, (_, index) => `extra${index}-${randomUUID()}@example.com`);
    // Written straight to storage: the API caps unverified addresses at 10 per user.
    for (const address of others) {
      await world.io.insertLoginEmail({
        address,
        userId: alice.userId,
        verifiedAt: null,
        createdAt: world.clock.now(),
      });
    }
    const all = [alice.email, ...others];
    const results = await Promise.all(
      all.map((address) => world.accounts.emails.remove(alice.caller, alice.userId, { emails: [address] })),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(RACERS - 1);
    expect(results.filter((result) => result.err).map(errCode)).toEqual(['LAST_EMAIL']);
    expect(await world.io.listLoginEmails(alice.userId)).toHaveLength(1);
  });

  it(`lets no more than the cap of unverified addresses in when ${RACERS} additions run at once`, async () => {
    const world = makeWorld({ io: new SqlIo(database().knex), config: { emailAddsPerUser: 100 } });
    const alice = await signUp(world, { email: `adder-${randomUUID()}@example.com` });
    const results = await Promise.all(
      Array.from({ length: RACERS }, (_, index) =>
        world.accounts.emails.add(alice.caller, alice.userId, { emails: [`add${index}-${randomUUID()}@example.com`] }),
      ),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(9);
    expect(new Set(results.filter((result) => result.err).map(errCode))).toEqual(
      new Set(['TOO_MANY_UNVERIFIED_EMAILS']),
    );
    expect(await world.io.listLoginEmails(alice.userId)).toHaveLength(10);
  });

  it(`keeps at most maxSessionsPerUser live sessions when ${RACERS} logins run at once`, async () => {
    const world = makeWorld({ io: new SqlIo(database().knex), config: { ...ROOMY_LIMITS, maxSessionsPerUser: 5 } });
    const alice = await signUp(world, { email: `sessions-${randomUUID()}@example.com` });
    const results = await Promise.all(
      Array.from({ length: RACERS }, () =>
        world.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST),
      ),
    );
    expect(results.every((result) => result.ok)).toBe(true);
    expect(await world.io.listActiveSessions(alice.userId, world.clock.now())).toHaveLength(5);
  });
});
