import { createHash } from 'node:crypto';
import { DefaultLib } from '../../src/adapters/lib';
import type { ClientWithKey } from '../../src/domain/clients';
import type { Caller } from '../../src/domain/context';
import type { Page } from '../../src/domain/pagination';
import type { Tokens } from '../../src/domain/sessions';
import type { Membership, Organization, PublicSession } from '../../src/ports/entities';
import type { AccountsEvent } from '../../src/ports/events';
import { DEFAULT_CONFIG } from '../../src/ports/lib';
import {
  errCode,
  lastCode,
  makeWorld,
  ok,
  REQUEST,
  recordHashingInsideTransactions,
  type SignedInUser,
  STRONG_PASSWORD,
  signUp,
  signUpEmployee,
  signUpSysadmin,
  TEST_JWT_SECRET,
  type TestWorld,
} from '../support/setup';

/**
 * One test per SPEC §3–§9 rule that no other test pins (see docs/security-rules.md): each fails when
 * its rule is removed from the source.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const STATE = 'spec-rules-state-0001';
const NO_ORIGIN = { ip: '203.0.113.7', origin: null, api: 'accounts' };

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const otherIp = (i: number) => ({ ip: `198.51.100.${i}`, userAgent: null });

async function refresh(world: TestWorld, refreshToken: string) {
  return world.accounts.sessions.refresh({ refreshToken }, REQUEST);
}

async function requestLoginCode(world: TestWorld, email: string, state = STATE): Promise<string> {
  ok(await world.accounts.sessions.requestLoginCode({ email, state }, REQUEST));
  return await lastCode(world, email, 'login');
}

async function callerOf(world: TestWorld, tokens: Tokens): Promise<Caller> {
  return { user: ok(await world.accounts.sessions.authenticate(tokens.accessToken)) };
}

describe('the default configuration', () => {
  it('holds the numbers of SPEC §3–§7', () => {
    const expected = {
      accessTokenTtlMs: 15 * MINUTE,
      sessionIdleTtlMs: 14 * DAY,
      sessionAbsoluteTtlMs: 30 * DAY,
      loginCodeTtlMs: 10 * MINUTE,
      verifyEmailCodeTtlMs: 24 * HOUR,
      codeMaxAttempts: 5,
      codeSendLimit: 3,
      codeSendLimitPerAddress: 10,
      codeSendWindowMs: 15 * MINUTE,
      codeRequestsPerIp: 100,
      codeFailuresPerIp: 100,
      loginFailuresPerIdentifierAndIp: 10,
      loginFailuresPerIdentifier: 50,
      loginFailuresPerIp: 100,
      loginFailureWindowMs: 15 * MINUTE,
      loginSuccessesPerUser: 100,
      loginSuccessWindowMs: HOUR,
      maxSessionsPerUser: 100,
      registrationsPerIp: 100,
      registrationWindowMs: HOUR,
      emailAddsPerUser: 20,
      emailAddsPerIp: 50,
      emailAddWindowMs: HOUR,
      maxUnverifiedEmailsPerUser: 10,
      unverifiedEmailClaimAfterMs: 24 * HOUR,
      ipv6LimitPrefixLength: 64,
      ipLimitsWithoutAddress: 'shared',
      requireVerifiedEmail: false,
      defaultReqsPerSec: 10,
      clientLastUsedIntervalMs: MINUTE,
    };
    expect(DEFAULT_CONFIG).toMatchObject(expected);
    expect(new DefaultLib({ tokens: { secret: TEST_JWT_SECRET } }).config).toMatchObject(expected);
  });
});

describe('§3 sessions and tokens', () => {
  it('issues refresh tokens of 256 random bits and stores only their SHA-256', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const next = ok<Tokens>(await refresh(world, alice.tokens.refreshToken));
    for (const token of [alice.tokens.refreshToken, next.refreshToken]) {
      expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(32);
      expect(await world.io.findRefreshToken(sha256Hex(token))).toEqual(
        expect.objectContaining({ sessionId: alice.tokens.sessionId }),
      );
    }
  });

  it('strict validation refuses a banned or deleted user whose session is still open; stateless does not', async () => {
    for (const patch of [{ bannedAt: new Date() }, { deletedAt: new Date() }]) {
      const world = makeWorld();
      const alice = await signUp(world);
      await world.io.updateUser(alice.userId, { ...patch, updatedAt: world.clock.now() });
      expect((await world.io.findSessionById(alice.tokens.sessionId))?.revokedAt).toBeNull();
      expect(errCode(await world.accounts.sessions.authenticate(alice.tokens.accessToken))).toBe('INVALID_TOKEN');
      ok(await world.accounts.sessions.verifyStateless(alice.tokens.accessToken));
    }
  });

  it('strict validation refuses a session past its idle or absolute deadline within the token lifetime', async () => {
    for (const config of [{ sessionIdleTtlMs: 5 * MINUTE }, { sessionAbsoluteTtlMs: 5 * MINUTE }]) {
      const world = makeWorld({ config });
      const alice = await signUp(world);
      world.clock.advance(5 * MINUTE - 1);
      ok(await world.accounts.sessions.authenticate(alice.tokens.accessToken));
      world.clock.advance(1);
      expect(errCode(await world.accounts.sessions.authenticate(alice.tokens.accessToken))).toBe('INVALID_TOKEN');
      ok(await world.accounts.sessions.verifyStateless(alice.tokens.accessToken));
    }
  });

  it('refreshes a session idle for 14 days less 1 ms, and one up to 1 ms before its 30th day', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    world.clock.advance(14 * DAY - 1);
    let { refreshToken } = ok<Tokens>(await refresh(world, alice.tokens.refreshToken));
    world.clock.advance(13 * DAY);
    refreshToken = ok<Tokens>(await refresh(world, refreshToken)).refreshToken;
    world.clock.advance(3 * DAY); // 30 days less 1 ms since login
    refreshToken = ok<Tokens>(await refresh(world, refreshToken)).refreshToken;
    world.clock.advance(1);
    expect(errCode(await refresh(world, refreshToken))).toBe('INVALID_REFRESH_TOKEN');
  });

  it('takes the idle and absolute session lifetimes from the configuration', async () => {
    const config = { sessionIdleTtlMs: HOUR, sessionAbsoluteTtlMs: 2 * HOUR };
    const idle = makeWorld({ config });
    const idler = await signUp(idle);
    idle.clock.advance(HOUR);
    expect(errCode(await refresh(idle, idler.tokens.refreshToken))).toBe('INVALID_REFRESH_TOKEN');

    const busy = makeWorld({ config });
    let { refreshToken } = (await signUp(busy)).tokens;
    for (let i = 0; i < 2; i++) {
      busy.clock.advance(59 * MINUTE);
      refreshToken = ok<Tokens>(await refresh(busy, refreshToken)).refreshToken;
    }
    busy.clock.advance(2 * MINUTE);
    expect(errCode(await refresh(busy, refreshToken))).toBe('INVALID_REFRESH_TOKEN');
  });

  it('a revoked session cannot be refreshed with its unused refresh token', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    ok(await world.accounts.sessions.revoke(alice.caller, alice.tokens.sessionId));
    expect(errCode(await refresh(world, alice.tokens.refreshToken))).toBe('INVALID_REFRESH_TOKEN');
  });

  it('deleting a user revokes every one of their sessions', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const second = ok<Tokens>(
      await world.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST),
    );
    ok(await world.accounts.users.delete(alice.caller, alice.userId));
    for (const sessionId of [alice.tokens.sessionId, second.sessionId]) {
      expect((await world.io.findSessionById(sessionId))?.revokedAt).toEqual(world.clock.now());
    }
  });

  it('a ban revokes every session for good: after an unban the old tokens stay dead', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const admin = await signUpSysadmin(world);
    ok(await world.accounts.users.ban(admin.caller, alice.userId));
    ok(await world.accounts.users.unban(admin.caller, alice.userId));
    expect(errCode(await world.accounts.sessions.authenticate(alice.tokens.accessToken))).toBe('INVALID_TOKEN');
    expect(errCode(await refresh(world, alice.tokens.refreshToken))).toBe('INVALID_REFRESH_TOKEN');
  });

  it('accepts a state of exactly 16 printable characters and refuses control characters', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const state = '0123456789abcdef';
    const code = await requestLoginCode(world, alice.email, state);
    ok(await world.accounts.sessions.loginWithCode({ code, state }, REQUEST));
    for (const bad of [`${state}\t`, `${state}\x7f`, `${state.slice(1)}\n`]) {
      expect(errCode(await world.accounts.sessions.loginWithCode({ code, state: bad }, REQUEST))).toBe(
        'VALIDATION_FAILED',
      );
    }
  });

  it('compares codes through the constant-time Lib.safeEqual', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const safeEqual = jest.spyOn(world.lib, 'safeEqual');
    const verifyCode = await lastCode(world, alice.email);
    ok(await world.accounts.emails.verify({ email: alice.email, code: verifyCode }));
    expect(safeEqual).toHaveBeenCalledTimes(1);
    const loginCode = await requestLoginCode(world, alice.email);
    ok(await world.accounts.sessions.loginWithCode({ code: loginCode, state: STATE }, REQUEST));
    expect(safeEqual).toHaveBeenCalledTimes(2);
  });
});

describe('§4 login emails and verification codes', () => {
  it.each([
    ['a login-code request', 'login'],
    ['a verification resend', 'verify-email'],
  ] as const)(
    '%s answers before the email is delivered, so a slow mail transport reveals no address',
    async (_, kind) => {
      const world = makeWorld();
      const alice = await signUp(world);
      if (kind === 'verify-email')
        ok(await world.accounts.emails.add(alice.caller, alice.userId, { emails: ['new@example.com'] }));
      const address = kind === 'login' ? alice.email : 'new@example.com';
      let deliver: () => void = () => undefined;
      const delivered: string[] = [];
      world.lib.sendCode = (message) =>
        new Promise<void>((resolve) => {
          deliver = () => {
            delivered.push(message.to);
            resolve();
          };
        });
      const ask = () =>
        kind === 'login'
          ? world.accounts.sessions.requestLoginCode({ email: address, state: STATE }, REQUEST)
          : world.accounts.emails.resendVerification({ email: address });

      // With the transport stuck, the answer still comes: it cannot depend on the send.
      ok(await ask());
      // A bounded wait gives up on the stuck transport and says so.
      expect(await world.accounts.settled(20)).toBe(false);
      expect(world.accounts.pendingDeliveries).toBe(1);
      let settled = false;
      const waiting = world.accounts.settled().then(() => {
        settled = true;
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(settled).toBe(false);
      deliver();
      await waiting;
      expect(delivered).toEqual([address]);
      expect(await world.accounts.settled(20)).toBe(true);
      expect(world.accounts.pendingDeliveries).toBe(0);
    },
  );

  it('a login code works until 1 ms before 10 minutes, a verify-email code until 1 ms before 24 hours', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const verifyCode = await lastCode(world, alice.email);
    const loginCode = await requestLoginCode(world, alice.email);
    world.clock.advance(10 * MINUTE - 1);
    ok(await world.accounts.sessions.loginWithCode({ code: loginCode, state: STATE }, REQUEST));
    world.clock.advance(24 * HOUR - 10 * MINUTE);
    ok(await world.accounts.emails.verify({ email: alice.email, code: verifyCode }));
  });

  it('takes code lifetimes from the configuration', async () => {
    const world = makeWorld({ config: { loginCodeTtlMs: MINUTE, verifyEmailCodeTtlMs: 2 * MINUTE } });
    const alice = await signUp(world);
    const verifyCode = await lastCode(world, alice.email);
    const loginCode = await requestLoginCode(world, alice.email);
    world.clock.advance(MINUTE);
    expect(errCode(await world.accounts.sessions.loginWithCode({ code: loginCode, state: STATE }, REQUEST))).toBe(
      'INVALID_CODE',
    );
    world.clock.advance(MINUTE);
    expect(errCode(await world.accounts.emails.verify({ email: alice.email, code: verifyCode }))).toBe('INVALID_CODE');
  });

  it('a new code invalidates earlier codes of its own purpose only', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const verifyCode = await lastCode(world, alice.email);
    const loginCode = await requestLoginCode(world, alice.email);
    ok(await world.accounts.emails.verify({ email: alice.email, code: verifyCode }));

    ok(await world.accounts.emails.add(alice.caller, alice.userId, { emails: ['work@example.com'] }));
    const loginToWork = await requestLoginCode(world, 'work@example.com', 'work-state-0123456');
    ok(await world.accounts.emails.resendVerification({ email: 'work@example.com' }));
    ok(await world.accounts.sessions.loginWithCode({ code: loginCode, state: STATE }, REQUEST));
    // (A code login through an unverified second address would release it: SPEC §4, pre-hijacking.)
    ok(
      await world.accounts.emails.verify({
        email: 'work@example.com',
        code: await lastCode(world, 'work@example.com'),
      }),
    );
    ok(await world.accounts.sessions.loginWithCode({ code: loginToWork, state: 'work-state-0123456' }, REQUEST));
  });

  it('a request past the send limit sends nothing and leaves the last code usable', async () => {
    const world = makeWorld();
    const alice = await signUp(world); // the registration's code counts against no send limit
    await requestLoginCode(world, alice.email, 'first-state-0123456');
    await requestLoginCode(world, alice.email, 'second-state-012345');
    const third = await requestLoginCode(world, alice.email);
    ok(await world.accounts.sessions.requestLoginCode({ email: alice.email, state: 'fourth-state-012345' }, REQUEST));
    expect(world.emailer.sent).toHaveLength(4);
    ok(await world.accounts.sessions.loginWithCode({ code: third, state: STATE }, REQUEST));
  });

  it('the send limit holds for exactly 15 minutes after a code was sent', async () => {
    const world = makeWorld();
    const alice = await signUp(world); // the registration's code counts against no send limit
    await requestLoginCode(world, alice.email, 'first-state-0123456'); // the window opens here
    world.clock.advance(MINUTE);
    await requestLoginCode(world, alice.email, 'second-state-012345');
    await requestLoginCode(world, alice.email);
    world.clock.advance(14 * MINUTE - 1);
    ok(await world.accounts.sessions.requestLoginCode({ email: alice.email, state: 'late-state-01234567' }, REQUEST));
    expect(world.emailer.sent).toHaveLength(4);
    world.clock.advance(1);
    await requestLoginCode(world, alice.email, 'late-state-01234567');
    expect(world.emailer.sent).toHaveLength(5);
  });

  it('removing an address kills its login codes, so they never log into whoever takes it next', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    ok(await world.accounts.emails.add(alice.caller, alice.userId, { emails: ['shared@example.com'] }));
    const code = await requestLoginCode(world, 'shared@example.com');
    ok(await world.accounts.emails.remove(alice.caller, alice.userId, { emails: ['shared@example.com'] }));
    ok(await world.accounts.users.register({ name: 'Bob', email: 'shared@example.com' }, otherIp(1)));
    expect(errCode(await world.accounts.sessions.loginWithCode({ code, state: STATE }, REQUEST))).toBe('INVALID_CODE');
  });

  it('a code login marks the address verified and reports email.verified', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const code = await requestLoginCode(world, alice.email);
    ok(await world.accounts.sessions.loginWithCode({ code, state: STATE }, REQUEST));
    expect((await world.io.findLoginEmail(alice.email))?.verifiedAt).toEqual(world.clock.now());
    expect(world.events).toContainEqual(
      expect.objectContaining({ type: 'email.verified', userId: alice.userId, address: alice.email }),
    );
  });

  it('a code login by a banned user is refused once the code is proven, and reported as a failed login', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const admin = await signUpSysadmin(world);
    const code = await requestLoginCode(world, alice.email);
    ok(await world.accounts.users.ban(admin.caller, alice.userId));
    expect(errCode(await world.accounts.sessions.loginWithCode({ code, state: STATE }, REQUEST))).toBe(
      'ACCOUNT_DISABLED',
    );
    expect(world.events).toContainEqual(
      expect.objectContaining({ type: 'login.failed', method: 'code', reason: 'banned' }),
    );
    expect((await world.io.findLoginEmail(alice.email))?.verifiedAt).toBeNull();
  });

  it('a password login to a passwordless or deleted account still compares against the dummy hash', async () => {
    const world = makeWorld();
    ok(await world.accounts.users.register({ name: 'NP', email: 'np@example.com' }, REQUEST));
    const gone = await signUp(world, { email: 'gone@example.com' });
    ok(await world.accounts.users.delete(gone.caller, gone.userId));
    const verify = jest.spyOn(world.lib, 'verifyPassword');
    for (const email of ['np@example.com', 'gone@example.com']) {
      const result = await world.accounts.sessions.loginWithPassword({ email, password: STRONG_PASSWORD }, REQUEST);
      expect(errCode(result)).toBe('INVALID_CREDENTIALS');
    }
    const dummy = await world.lib.dummyPasswordHash();
    expect(verify.mock.calls.map(([, hash]) => hash)).toEqual([dummy, dummy]);
  });
});

describe('§5 clients', () => {
  it('a key carries a secret of 256 random bits, of which only the SHA-256 is stored', async () => {
    const world = makeWorld();
    const owner = await signUp(world);
    const organization = ok<Organization>(await world.accounts.organizations.create(owner.caller, { name: 'Acme' }));
    const created = ok<ClientWithKey>(
      await world.accounts.clients.create(owner.caller, organization.id, { name: 'Backend' }),
    );
    const secret = created.key.slice(`${world.lib.config.clientKeyPrefix}_${created.client.id}_`.length);
    expect(Buffer.from(secret, 'base64url').length).toBeGreaterThanOrEqual(32);
    expect((await world.io.findClientById(created.client.id))?.secretHash).toBe(sha256Hex(secret));
  });
});

describe('§6 who may do what', () => {
  it("employees list anyone's sessions but may not revoke them", async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const employee = await signUpEmployee(world);
    const sessions = ok<Page<PublicSession>>(await world.accounts.sessions.list(employee.caller, alice.userId)).data;
    expect(sessions.map((session) => session.id)).toEqual([alice.tokens.sessionId]);
    expect(errCode(await world.accounts.sessions.revoke(employee.caller, alice.tokens.sessionId))).toBe('NOT_FOUND');
    ok(await world.accounts.sessions.authenticate(alice.tokens.accessToken));
  });
});

describe('§7 brute force and abuse', () => {
  it('counts failures per address across IPs and letter cases, up to the per-address ceiling', async () => {
    const world = makeWorld({ config: { loginFailuresPerIdentifier: 10 } });
    const alice = await signUp(world, { email: 'alice@example.com' });
    for (let i = 0; i < 10; i++) {
      const email = i % 2 === 0 ? 'ALICE@example.com' : 'alice@example.com';
      const result = await world.accounts.sessions.loginWithPassword({ email, password: 'wrong wrong 1' }, otherIp(i));
      expect(errCode(result)).toBe('INVALID_CREDENTIALS');
    }
    const blocked = await world.accounts.sessions.loginWithPassword(
      { email: alice.email, password: alice.password },
      otherIp(99),
    );
    expect(errCode(blocked)).toBe('RATE_LIMITED');
  });

  it('registrations refused by validation do not use up the per-IP quota', async () => {
    const world = makeWorld({ config: { registrationsPerIp: 1 } });
    for (let i = 0; i < 3; i++) {
      const invalid = await world.accounts.users.register({ name: '', email: `bad${i}` } as never, REQUEST);
      expect(errCode(invalid)).toBe('VALIDATION_FAILED');
    }
    ok(await world.accounts.users.register({ name: 'A', email: 'a@example.com' }, REQUEST));
    expect(errCode(await world.accounts.users.register({ name: 'B', email: 'b@example.com' }, REQUEST))).toBe(
      'RATE_LIMITED',
    );
  });
});

describe('§8 passwords', () => {
  it('hashes with bcrypt cost 10 by default', async () => {
    const lib = new DefaultLib({ tokens: { secret: TEST_JWT_SECRET } });
    expect(await lib.hashPassword(STRONG_PASSWORD)).toMatch(/^\$2[aby]\$10\$/);
  });

  it('a 73-byte password is not cut to 72 bytes', async () => {
    const world = makeWorld();
    const password = 'p'.repeat(72) + 'a';
    const signed = await signUp(world, { password });
    const sameFirst72Bytes = 'p'.repeat(72) + 'b';
    expect(
      errCode(
        await world.accounts.sessions.loginWithPassword({ email: signed.email, password: sameFirst72Bytes }, REQUEST),
      ),
    ).toBe('INVALID_CREDENTIALS');
  });

  it('accepts a 256-character password in a non-Latin script', async () => {
    const world = makeWorld();
    const password = 'Пароль—ключ-'.repeat(22).slice(0, 256);
    expect([...password]).toHaveLength(256);
    await signUp(world, { password });
  });

  it('upgrades a weaker hash at login without holding a transaction open during bcrypt', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const stronger = makeWorld({ io: world.io, libOptions: { passwords: { bcryptCost: 5 } } });
    const hashedInsideTransaction = recordHashingInsideTransactions(world.io, stronger.lib);
    ok(await stronger.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST));
    expect(hashedInsideTransaction).toEqual([false]);
  });
});

/** What a run of `exerciseEverything` produced, for the §9 checks. */
interface Exercise {
  world: TestWorld;
  /** Every value handed back to callers, failures included, except token and key answers. */
  answers: unknown[];
  /** The answers that carry tokens or a key by design (logins, refreshes, client creation and rotation). */
  credentials: Array<Tokens | ClientWithKey>;
  passwords: string[];
}

/**
 * Runs every security-relevant action once: registrations, verification and login codes, password and
 * code logins and failures, refresh and refresh reuse, a password change, emails added and removed,
 * memberships, a client's whole life, every way of ending a session, a ban and a deletion.
 */
async function exerciseEverything(world: TestWorld): Promise<Exercise> {
  const { users, emails, sessions, organizations, clients } = world.accounts;
  const answers: unknown[] = [];
  const credentials: Array<Tokens | ClientWithKey> = [];
  const answer = <T>(result: { ok: boolean; val: unknown }): T => {
    answers.push(result.val);
    return ok<T>(result);
  };
  const refused = (result: { ok: boolean; val: unknown }) => {
    answers.push(result.val);
    return errCode(result);
  };
  const login = async (email: string, password: string): Promise<Tokens> => {
    const tokens = ok<Tokens>(await sessions.loginWithPassword({ email, password }, REQUEST));
    credentials.push(tokens);
    return tokens;
  };
  const passwords = [STRONG_PASSWORD, 'a brand new passphrase', 'wrong password 42'];
  const email = 'alice@example.com';

  const admin: SignedInUser = await signUpSysadmin(world);
  const alice = answer<{ id: string }>(await users.register({ name: 'Alice', email, password: passwords[0] }, REQUEST));
  answer(await emails.verify({ email, code: await lastCode(world, email) }));
  const first = await login(email, passwords[0]);
  refused(await sessions.loginWithPassword({ email, password: passwords[2] }, REQUEST));

  let caller = await callerOf(world, first);
  answer(await emails.add(caller, alice.id, { emails: ['work@example.com'] }));
  answer(await emails.verify({ email: 'work@example.com', code: await lastCode(world, 'work@example.com') }));
  const code = await requestLoginCode(world, 'work@example.com');
  refused(await sessions.loginWithCode({ code: code === '000000' ? '111111' : '000000', state: STATE }, REQUEST));
  const byCode = ok<Tokens>(await sessions.loginWithCode({ code, state: STATE }, REQUEST));
  credentials.push(byCode);

  credentials.push(ok<Tokens>(await sessions.refresh({ refreshToken: first.refreshToken }, REQUEST)));
  refused(await sessions.refresh({ refreshToken: first.refreshToken }, REQUEST));
  caller = await callerOf(world, byCode);
  answer(await users.changePassword(caller, alice.id, { currentPassword: passwords[0], newPassword: passwords[1] }));
  answer(await emails.remove(caller, alice.id, { emails: ['work@example.com'] }));

  const third = await login(email, passwords[1]);
  const fourth = await login(email, passwords[1]);
  answer<Page<PublicSession>>(await sessions.list(caller, alice.id));
  answer(await sessions.revoke(caller, third.sessionId));
  answer(await sessions.revoke(admin.caller, fourth.sessionId));
  answer(await sessions.logout(caller, {}));
  caller = await callerOf(world, await login(email, passwords[1]));

  const organization = answer<Organization>(await organizations.create(caller, { name: 'Acme' }));
  const bob = answer<{ id: string }>(await users.register({ name: 'Bob', email: 'bob@example.com' }, REQUEST));
  const membership = answer<Membership>(
    await organizations.addMembership(caller, organization.id, { userId: bob.id, role: 'member' }),
  );
  answer(await organizations.changeMembershipRole(caller, membership.id, { role: 'admin' }));
  answer(await organizations.removeMembership(caller, membership.id));

  const created = ok<ClientWithKey>(await clients.create(caller, organization.id, { name: 'Backend' }));
  credentials.push(created);
  answer(
    await clients.addRestrictions(caller, created.client.id, {
      restrictions: [{ type: 'ip', value: '203.0.113.0/24' }],
    }),
  );
  answer(await clients.authenticate(created.key, NO_ORIGIN));
  const rotated = ok<ClientWithKey>(await clients.rotateKey(caller, created.client.id));
  credentials.push(rotated);
  refused(await clients.authenticate(created.key, NO_ORIGIN));
  answer(await clients.authenticate(rotated.key, NO_ORIGIN));
  answer(await clients.get(caller, created.client.id));
  answer(await clients.list(caller, organization.id));
  answer(await clients.delete(caller, created.client.id));

  answer(await sessions.logout(caller, { all: true }));
  const carol = await signUp(world, { email: 'carol@example.com' });
  answer(await users.ban(admin.caller, carol.userId));
  answer(await users.delete(admin.caller, bob.id));
  return { world, answers, credentials, passwords };
}

/** Records every value the Lib's secret, code and hash primitives return during a run. */
function recordLibOutputs(world: TestWorld): { secrets: () => Promise<string[]>; hashes: () => Promise<string[]> } {
  const { lib } = world;
  const generated = [jest.spyOn(lib, 'newSecret'), jest.spyOn(lib, 'newCode')];
  const hashing = [jest.spyOn(lib, 'hashSecret'), jest.spyOn(lib, 'hashCode'), jest.spyOn(lib, 'hashPassword')];
  const outputs = (spies: Array<{ mock: { results: Array<{ value: unknown }> } }>) => async () =>
    (await Promise.all(spies.flatMap((spy) => spy.mock.results.map((result) => result.value)))) as string[];
  return { secrets: outputs([...generated, ...hashing]), hashes: outputs(hashing) };
}

describe('§9 events', () => {
  let run: Exercise;
  let secrets: string[];
  let hashes: string[];
  beforeAll(async () => {
    const world = makeWorld();
    const recorded = recordLibOutputs(world);
    run = await exerciseEverything(world);
    hashes = await recorded.hashes();
    const tokens = run.credentials.flatMap((credential) =>
      'key' in credential ? [credential.key] : [credential.accessToken, credential.refreshToken],
    );
    const codes = world.emailer.sent.map((message) => message.code);
    secrets = [...new Set([...(await recorded.secrets()), ...tokens, ...codes, ...run.passwords])];
  });

  const types = () => run.world.events.map((event) => event.type);

  it('every action SPEC §9 lists emits its event', () => {
    expect(types()).toEqual(
      expect.arrayContaining([
        'login.succeeded',
        'login.failed',
        'session.revoked',
        'refresh_token.reused',
        'password.changed',
        'email.added',
        'email.verified',
        'email.removed',
        'client.created',
        'client.rotated',
        'client.deleted',
        'membership.changed',
      ]),
    );
    const logins = run.world.events.filter((event) => event.type.startsWith('login.'));
    expect(logins.map((event) => [event.type, 'method' in event && event.method])).toEqual(
      expect.arrayContaining([
        ['login.succeeded', 'password'],
        ['login.succeeded', 'code'],
        ['login.failed', 'password'],
        ['login.failed', 'code'],
      ]),
    );
    expect(run.world.events).toContainEqual(
      expect.objectContaining({ type: 'email.verified', address: 'work@example.com' }), // by its login code
    );
    const membershipChanges = run.world.events.flatMap((event) =>
      event.type === 'membership.changed' ? [event.change] : [],
    );
    expect(new Set(membershipChanges)).toEqual(new Set(['added', 'role_changed', 'removed']));
  });

  it('each way a session ends reports session.revoked with its reason', () => {
    const reasons = run.world.events.flatMap((event) => (event.type === 'session.revoked' ? [event.reason] : []));
    expect(new Set(reasons)).toEqual(
      new Set([
        'logout',
        'logout_all',
        'revoked_by_user',
        'revoked_by_admin',
        'password_changed',
        'user_deleted',
        'user_banned',
        'refresh_token_reused',
      ]),
    );
  });

  it('events never carry a password, hash, code, token, key or secret', () => {
    expect(secrets.length).toBeGreaterThan(30);
    const events = JSON.stringify(run.world.events);
    expect(secrets.filter((secret) => events.includes(secret))).toEqual([]);
  });

  it('answers carry no secret, and token and key answers carry no hash', () => {
    const answers = JSON.stringify(run.answers);
    expect(secrets.filter((secret) => answers.includes(secret))).toEqual([]);
    const credentials = JSON.stringify(run.credentials);
    expect(hashes.filter((hash) => credentials.includes(hash))).toEqual([]);
  });

  it('every refused password login reports login.failed with its reason', async () => {
    const world = makeWorld({ config: { requireVerifiedEmail: true, loginFailuresPerIdentifier: 1 } });
    const attempt = (email: string, password: string) =>
      world.accounts.sessions.loginWithPassword({ email, password }, REQUEST);
    ok(await world.accounts.users.register({ name: 'V', email: 'v@example.com', password: STRONG_PASSWORD }, REQUEST));
    ok(await world.accounts.users.register({ name: 'B', email: 'b@example.com', password: STRONG_PASSWORD }, REQUEST));
    await world.io.updateUser((await world.io.findUserByEmail('b@example.com'))?.user.id ?? '', {
      bannedAt: world.clock.now(),
      updatedAt: world.clock.now(),
    });
    expect(errCode(await attempt('v@example.com', STRONG_PASSWORD))).toBe('EMAIL_NOT_VERIFIED');
    expect(errCode(await attempt('b@example.com', STRONG_PASSWORD))).toBe('ACCOUNT_DISABLED');
    expect(errCode(await attempt('nobody@example.com', STRONG_PASSWORD))).toBe('INVALID_CREDENTIALS');
    expect(errCode(await attempt('nobody@example.com', STRONG_PASSWORD))).toBe('RATE_LIMITED');
    const reasons = world.events.flatMap((event) =>
      event.type === 'login.failed' && event.method === 'password' ? [event.reason] : [],
    );
    expect(reasons).toEqual(
      expect.arrayContaining(['email_not_verified', 'banned', 'invalid_credentials', 'rate_limited']),
    );
  });

  it('no operation breaks when the hook throws or rejects', async () => {
    const hooks: Array<(event: AccountsEvent) => void | Promise<void>> = [
      () => {
        throw new Error('hook down');
      },
      () => Promise.reject(new Error('hook down')),
    ];
    for (const onEvent of hooks) {
      const world = makeWorld({ libOptions: { onEvent } });
      await exerciseEverything(world);
    }
  });

  it('the services write nothing to the console', async () => {
    const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
    const spies = methods.map((method) => jest.spyOn(console, method).mockImplementation(() => undefined));
    try {
      await exerciseEverything(makeWorld());
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});
