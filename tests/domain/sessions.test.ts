import type { Page } from '../../src/domain/pagination';
import type { Tokens } from '../../src/domain/sessions';
import type { PublicSession } from '../../src/ports/entities';
import {
  errCode,
  lastCode,
  makeWorld,
  ok,
  REQUEST,
  STRONG_PASSWORD,
  signUp,
  signUpEmployee,
  signUpSysadmin,
} from '../support/setup';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const STATE = 'client-state-0123456789';

describe('password login', () => {
  it('opens a session whose access token passes strict validation', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    expect(alice.tokens).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    expect(alice.caller.user).toEqual({ id: alice.userId, roles: ['user'], sessionId: alice.tokens.sessionId });
    expect(world.events.map((e) => e.type)).toContain('login.succeeded');
  });

  it('answers an unknown email and a wrong password alike, after the same password work', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const verify = jest.spyOn(world.lib, 'verifyPassword');
    const unknown = await world.accounts.sessions.loginWithPassword(
      { email: 'nobody@example.com', password: STRONG_PASSWORD },
      REQUEST,
    );
    const wrong = await world.accounts.sessions.loginWithPassword(
      { email: alice.email, password: 'not the password' },
      REQUEST,
    );
    expect(unknown.val).toEqual(wrong.val);
    expect(errCode(unknown)).toBe('INVALID_CREDENTIALS');
    expect(verify).toHaveBeenCalledTimes(2);
    expect(verify.mock.calls[0][1]).toBe(await world.lib.dummyPasswordHash());
  });

  it('refuses a password login to a passwordless user like a wrong password', async () => {
    const world = makeWorld();
    ok(await world.accounts.users.register({ name: 'NP', email: 'np@example.com' }, REQUEST));
    expect(
      errCode(
        await world.accounts.sessions.loginWithPassword(
          { email: 'np@example.com', password: STRONG_PASSWORD },
          REQUEST,
        ),
      ),
    ).toBe('INVALID_CREDENTIALS');
  });

  it('answers 429 past 10 failures for one address, even with the right password, until the window ends', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    for (let i = 0; i < 10; i++) {
      expect(
        errCode(
          await world.accounts.sessions.loginWithPassword(
            { email: alice.email, password: `wrong ${i} wrong wrong` },
            REQUEST,
          ),
        ),
      ).toBe('INVALID_CREDENTIALS');
    }
    const blocked = await world.accounts.sessions.loginWithPassword(
      { email: alice.email, password: alice.password },
      REQUEST,
    );
    expect(errCode(blocked)).toBe('RATE_LIMITED');
    // The window opened with the first failure, 15 minutes before it lifts.
    expect((blocked.val as { retryAfterSeconds: number }).retryAfterSeconds).toBe(15 * 60);
    world.clock.advance(15 * MINUTE - 1000);
    const lastSecond = await world.accounts.sessions.loginWithPassword(
      { email: alice.email, password: alice.password },
      REQUEST,
    );
    expect(errCode(lastSecond)).toBe('RATE_LIMITED');
    expect((lastSecond.val as { retryAfterSeconds: number }).retryAfterSeconds).toBe(1);
    world.clock.advance(1000);
    ok(await world.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST));
  });

  it('resets the address counter after a success', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const attempt = (password: string) =>
      world.accounts.sessions.loginWithPassword({ email: alice.email, password }, REQUEST);
    for (let i = 0; i < 9; i++) await attempt('wrong wrong wrong');
    ok(await attempt(alice.password));
    for (let i = 0; i < 10; i++) expect(errCode(await attempt('wrong wrong wrong'))).toBe('INVALID_CREDENTIALS');
  });

  it('limits failures per IP across addresses', async () => {
    const world = makeWorld({ config: { loginFailuresPerIp: 3 } });
    const alice = await signUp(world);
    for (let i = 0; i < 3; i++) {
      await world.accounts.sessions.loginWithPassword(
        { email: `x${i}@example.com`, password: 'wrong wrong wrong' },
        REQUEST,
      );
    }
    expect(
      errCode(
        await world.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST),
      ),
    ).toBe('RATE_LIMITED');
    ok(
      await world.accounts.sessions.loginWithPassword(
        { email: alice.email, password: alice.password },
        { ip: '198.51.100.9', userAgent: null },
      ),
    );
  });

  it('does not count successful logins against the IP', async () => {
    const world = makeWorld({ config: { loginFailuresPerIp: 2 } });
    const alice = await signUp(world);
    for (let i = 0; i < 5; i++)
      ok(await world.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST));
  });

  it('upgrades a hash of a lower cost at the next successful login', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const stronger = makeWorld({ io: world.io, libOptions: { passwords: { bcryptCost: 5 } } });
    const before = (await world.io.findUserById(alice.userId))?.passwordHash ?? '';
    expect(stronger.lib.passwordNeedsRehash(before)).toBe(true);
    ok(await stronger.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST));
    const after = (await world.io.findUserById(alice.userId))?.passwordHash ?? '';
    expect(after).not.toBe(before);
    expect(stronger.lib.passwordNeedsRehash(after)).toBe(false);
    ok(await stronger.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST));
  });

  it('requires a verified address only when configured', async () => {
    const world = makeWorld({ config: { requireVerifiedEmail: true } });
    ok(await world.accounts.users.register({ name: 'V', email: 'v@example.com', password: STRONG_PASSWORD }, REQUEST));
    const login = () =>
      world.accounts.sessions.loginWithPassword({ email: 'v@example.com', password: STRONG_PASSWORD }, REQUEST);
    expect(errCode(await login())).toBe('EMAIL_NOT_VERIFIED');
    ok(await world.accounts.emails.verify({ email: 'v@example.com', code: await lastCode(world, 'v@example.com') }));
    ok(await login());
  });
});

describe('refresh tokens', () => {
  it.each([
    ['banned', 'bannedAt'],
    ['deleted', 'deletedAt'],
  ] as const)('are refused for a %s user even if the sessions were not revoked', async (_, field) => {
    const world = makeWorld();
    const alice = await signUp(world);
    // Straight in storage, as a custom Io or an operator's SQL might leave it: the check must not rely
    // on ban and delete revoking the sessions first.
    await world.io.updateUser(alice.userId, { [field]: world.clock.now(), updatedAt: world.clock.now() });
    expect(errCode(await world.accounts.sessions.refresh({ refreshToken: alice.tokens.refreshToken }, REQUEST))).toBe(
      'INVALID_REFRESH_TOKEN',
    );
  });

  it('rotate within the same session', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const next = ok<Tokens>(
      await world.accounts.sessions.refresh({ refreshToken: alice.tokens.refreshToken }, REQUEST),
    );
    expect(next.sessionId).toBe(alice.tokens.sessionId);
    expect(next.refreshToken).not.toBe(alice.tokens.refreshToken);
    expect(next.refreshToken.length).toBeGreaterThanOrEqual(43); // 256 bits in base64url
    ok(await world.accounts.sessions.authenticate(next.accessToken));
  });

  it('are stored only as hashes', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    expect(await world.io.findRefreshToken(alice.tokens.refreshToken)).toBeNull();
    expect(await world.io.findRefreshToken(world.lib.hashSecret(alice.tokens.refreshToken))).not.toBeNull();
  });

  it('a consumed refresh token revokes its session', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const next = ok<Tokens>(
      await world.accounts.sessions.refresh({ refreshToken: alice.tokens.refreshToken }, REQUEST),
    );
    expect(errCode(await world.accounts.sessions.refresh({ refreshToken: alice.tokens.refreshToken }, REQUEST))).toBe(
      'INVALID_REFRESH_TOKEN',
    );
    expect(errCode(await world.accounts.sessions.refresh({ refreshToken: next.refreshToken }, REQUEST))).toBe(
      'INVALID_REFRESH_TOKEN',
    );
    expect(errCode(await world.accounts.sessions.authenticate(next.accessToken))).toBe('INVALID_TOKEN');
    expect(world.events.map((e) => e.type)).toContain('refresh_token.reused');
  });

  it('lets exactly one of 20 concurrent refreshes with one token win', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        world.accounts.sessions.refresh({ refreshToken: alice.tokens.refreshToken }, REQUEST),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map(errCode)).toEqual(Array(19).fill('INVALID_REFRESH_TOKEN'));
  });

  it('fail after 14 idle days, and a refresh pushes the idle deadline', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    world.clock.advance(13 * DAY);
    const next = ok<Tokens>(
      await world.accounts.sessions.refresh({ refreshToken: alice.tokens.refreshToken }, REQUEST),
    );
    world.clock.advance(13 * DAY);
    const again = ok<Tokens>(await world.accounts.sessions.refresh({ refreshToken: next.refreshToken }, REQUEST));
    world.clock.advance(14 * DAY);
    expect(errCode(await world.accounts.sessions.refresh({ refreshToken: again.refreshToken }, REQUEST))).toBe(
      'INVALID_REFRESH_TOKEN',
    );
  });

  it('fail past the 30-day absolute lifetime however often the session was refreshed', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    let refreshToken = alice.tokens.refreshToken;
    for (let day = 0; day < 3; day++) {
      world.clock.advance(9 * DAY);
      refreshToken = ok<Tokens>(await world.accounts.sessions.refresh({ refreshToken }, REQUEST)).refreshToken;
    }
    world.clock.advance(3 * DAY + 1);
    expect(errCode(await world.accounts.sessions.refresh({ refreshToken }, REQUEST))).toBe('INVALID_REFRESH_TOKEN');
  });

  it('refuse unknown tokens and bad input', async () => {
    const world = makeWorld();
    expect(errCode(await world.accounts.sessions.refresh({ refreshToken: 'nope' }, REQUEST))).toBe(
      'INVALID_REFRESH_TOKEN',
    );
    expect(errCode(await world.accounts.sessions.refresh({} as never, REQUEST))).toBe('VALIDATION_FAILED');
  });
});

describe('access tokens', () => {
  it('expire after 15 minutes', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    world.clock.advance(15 * MINUTE + 1000);
    expect(errCode(await world.accounts.sessions.authenticate(alice.tokens.accessToken))).toBe('INVALID_TOKEN');
    expect(errCode(await world.accounts.sessions.verifyStateless(alice.tokens.accessToken))).toBe('INVALID_TOKEN');
  });

  it('stay valid statelessly after logout but fail strict validation at once', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    ok(await world.accounts.sessions.logout(alice.caller, {}));
    expect(ok<{ sid: string }>(await world.accounts.sessions.verifyStateless(alice.tokens.accessToken)).sid).toBe(
      alice.tokens.sessionId,
    );
    expect(errCode(await world.accounts.sessions.authenticate(alice.tokens.accessToken))).toBe('INVALID_TOKEN');
  });

  it('refuse garbage and tokens signed with another key', async () => {
    const world = makeWorld();
    const other = makeWorld({ libOptions: { tokens: { secret: 'another-secret-of-at-least-32-bytes!!' } } });
    const alice = await signUp(other);
    expect(errCode(await world.accounts.sessions.authenticate(alice.tokens.accessToken))).toBe('INVALID_TOKEN');
    expect(errCode(await world.accounts.sessions.authenticate('not.a.jwt'))).toBe('INVALID_TOKEN');
  });
});

describe('logout and session management', () => {
  it('lets a sysadmin, or the user, end every session of one user; others may not (ASVS 7.4.5)', async () => {
    const world = makeWorld();
    const admin = await signUpSysadmin(world);
    const alice = await signUp(world);
    const bob = await signUp(world);
    const second = ok<Tokens>(
      await world.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST),
    );
    expect(errCode(await world.accounts.sessions.revokeAll(bob.caller, alice.userId))).toBe('NOT_FOUND');
    // Employees read everyone's sessions but end none of them.
    const employee = await signUpEmployee(world);
    expect(errCode(await world.accounts.sessions.revokeAll(employee.caller, alice.userId))).toBe('FORBIDDEN');
    expect((await world.accounts.sessions.authenticate(alice.tokens.accessToken)).ok).toBe(true);
    ok(await world.accounts.sessions.revokeAll(admin.caller, alice.userId));
    for (const tokens of [alice.tokens, second]) {
      expect(errCode(await world.accounts.sessions.authenticate(tokens.accessToken))).toBe('INVALID_TOKEN');
      expect(errCode(await world.accounts.sessions.refresh({ refreshToken: tokens.refreshToken }, REQUEST))).toBe(
        'INVALID_REFRESH_TOKEN',
      );
    }
    expect(world.events).toContainEqual(
      expect.objectContaining({ type: 'session.revoked', userId: alice.userId, reason: 'revoked_by_admin' }),
    );
    // The credentials stay: Alice logs in again; Bob ends his own sessions himself.
    ok(await world.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST));
    ok(await world.accounts.sessions.revokeAll(bob.caller, bob.userId));
    expect(errCode(await world.accounts.sessions.authenticate(bob.tokens.accessToken))).toBe('INVALID_TOKEN');
    expect(errCode(await world.accounts.sessions.revokeAll(admin.caller, 'usr_nobody'))).toBe('NOT_FOUND');
  });

  it('keeps auth_time and amr across refreshes', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const first = await world.lib.verifyAccessToken(alice.tokens.accessToken);
    world.clock.advance(DAY);
    const refreshed = ok<Tokens>(
      await world.accounts.sessions.refresh({ refreshToken: alice.tokens.refreshToken }, REQUEST),
    );
    const later = await world.lib.verifyAccessToken(refreshed.accessToken);
    expect(first).toMatchObject({
      amr: ['pwd'],
      auth_time: Math.floor(world.clock.now().getTime() / 1000) - DAY / 1000,
    });
    expect(later).toMatchObject({ amr: ['pwd'], auth_time: first?.auth_time });
    expect(later?.iat).toBeGreaterThan(first?.iat ?? 0);
  });

  it('logs out the current session or all of them', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const second = ok<Tokens>(
      await world.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST),
    );
    const third = ok<Tokens>(
      await world.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST),
    );
    ok(await world.accounts.sessions.logout(alice.caller, {}));
    expect(errCode(await world.accounts.sessions.authenticate(alice.tokens.accessToken))).toBe('INVALID_TOKEN');
    const secondCaller = { user: ok<never>(await world.accounts.sessions.authenticate(second.accessToken)) };
    ok(await world.accounts.sessions.logout(secondCaller, { all: true }));
    expect(errCode(await world.accounts.sessions.authenticate(third.accessToken))).toBe('INVALID_TOKEN');
    expect(errCode(await world.accounts.sessions.logout({}, {}))).toBe('UNAUTHENTICATED');
  });

  it("lists a user's live sessions without secrets, and lets them revoke any", async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const second = ok<Tokens>(
      await world.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST),
    );
    const sessions = ok<Page<PublicSession>>(await world.accounts.sessions.list(alice.caller, alice.userId)).data;
    expect(sessions.map((s) => s.id).sort()).toEqual([alice.tokens.sessionId, second.sessionId].sort());
    expect(sessions[0]).toMatchObject({ ip: REQUEST.ip, userAgent: REQUEST.userAgent });
    expect(JSON.stringify(sessions)).not.toContain(world.lib.hashSecret(second.refreshToken));
    ok(await world.accounts.sessions.revoke(alice.caller, second.sessionId));
    expect(errCode(await world.accounts.sessions.authenticate(second.accessToken))).toBe('INVALID_TOKEN');
    expect(ok<Page<PublicSession>>(await world.accounts.sessions.list(alice.caller, alice.userId)).data).toHaveLength(
      1,
    );
  });

  it("hides other users' sessions, except from sysadmins", async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const bob = await signUp(world);
    const admin = await signUpSysadmin(world);
    expect(errCode(await world.accounts.sessions.list(bob.caller, alice.userId))).toBe('NOT_FOUND');
    expect(errCode(await world.accounts.sessions.revoke(bob.caller, alice.tokens.sessionId))).toBe('NOT_FOUND');
    ok(await world.accounts.sessions.revoke(admin.caller, alice.tokens.sessionId));
    expect(errCode(await world.accounts.sessions.authenticate(alice.tokens.accessToken))).toBe('INVALID_TOKEN');
  });
});

describe('login by emailed code', () => {
  async function requestCode(world: ReturnType<typeof makeWorld>, email: string, state = STATE) {
    ok(await world.accounts.sessions.requestLoginCode({ email, state }, REQUEST));
    return await lastCode(world, email, 'login');
  }

  it('logs in with the code and its state, and marks the address verified', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const code = await requestCode(world, alice.email);
    expect(code).toMatch(/^\d{6}$/);
    const tokens = ok<Tokens>(await world.accounts.sessions.loginWithCode({ code, state: STATE }, REQUEST));
    expect(ok<{ id: string }>(await world.accounts.sessions.authenticate(tokens.accessToken)).id).toBe(alice.userId);
    expect((await world.io.findLoginEmail(alice.email))?.verifiedAt).toEqual(world.clock.now());
  });

  it('is single use', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const code = await requestCode(world, alice.email);
    ok(await world.accounts.sessions.loginWithCode({ code, state: STATE }, REQUEST));
    expect(errCode(await world.accounts.sessions.loginWithCode({ code, state: STATE }, REQUEST))).toBe('INVALID_CODE');
  });

  it('a login code with another state fails', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const code = await requestCode(world, alice.email);
    expect(
      errCode(await world.accounts.sessions.loginWithCode({ code, state: 'another-state-0123456' }, REQUEST)),
    ).toBe('INVALID_CODE');
    ok(await world.accounts.sessions.loginWithCode({ code, state: STATE }, REQUEST));
  });

  it('still accepts the right code after 4 wrong attempts', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const code = await requestCode(world, alice.email);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 4; i++) await world.accounts.sessions.loginWithCode({ code: wrong, state: STATE }, REQUEST);
    ok(await world.accounts.sessions.loginWithCode({ code, state: STATE }, REQUEST));
  });

  it('the 5th wrong attempt kills the code: the 6th attempt fails even with the right code', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const code = await requestCode(world, alice.email);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      expect(errCode(await world.accounts.sessions.loginWithCode({ code: wrong, state: STATE }, REQUEST))).toBe(
        'INVALID_CODE',
      );
    }
    expect(errCode(await world.accounts.sessions.loginWithCode({ code, state: STATE }, REQUEST))).toBe('INVALID_CODE');
  });

  it('counts parallel guesses: 20 at once take at most 5 attempts', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const code = await requestCode(world, alice.email);
    const wrong = code === '000000' ? '111111' : '000000';
    await Promise.all(
      Array.from({ length: 20 }, () => world.accounts.sessions.loginWithCode({ code: wrong, state: STATE }, REQUEST)),
    );
    expect(errCode(await world.accounts.sessions.loginWithCode({ code, state: STATE }, REQUEST))).toBe('INVALID_CODE');
  });

  it('compares at most 5 of 20 parallel guesses, so the right code among them cannot slip through', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const code = await requestCode(world, alice.email);
    const wrong = Array.from({ length: 19 }, (_, index) =>
      String((Number(code) + 1 + index) % 1_000_000).padStart(6, '0'),
    );
    const safeEqual = jest.spyOn(world.lib, 'safeEqual');
    // The right code comes last: with attempts reserved before comparing, the 5 attempts are gone by then.
    const results = await Promise.all(
      [...wrong, code].map((guess) => world.accounts.sessions.loginWithCode({ code: guess, state: STATE }, REQUEST)),
    );
    expect(results.map(errCode)).toEqual(Array(20).fill('INVALID_CODE'));
    expect(safeEqual.mock.calls.length).toBeLessThanOrEqual(5);
  });

  it('limits failed code logins per IP, whatever the code, and gives a proven code its attempt back', async () => {
    const world = makeWorld({ config: { codeFailuresPerIp: 3 } });
    const alice = await signUp(world);
    const code = await requestCode(world, alice.email);
    ok(await world.accounts.sessions.loginWithCode({ code, state: STATE }, REQUEST));
    // Guesses against states nobody requested: each counts, none can be told from a real miss.
    for (let guess = 0; guess < 3; guess++) {
      const state = `unrequested-state-${guess}-0000`;
      expect(errCode(await world.accounts.sessions.loginWithCode({ code: '123456', state }, REQUEST))).toBe(
        'INVALID_CODE',
      );
    }
    const next = await requestCode(world, alice.email, 'another-state-00000001');
    const blocked = await world.accounts.sessions.loginWithCode(
      { code: next, state: 'another-state-00000001' },
      REQUEST,
    );
    expect(errCode(blocked)).toBe('RATE_LIMITED');
    expect((blocked.val as { retryAfterSeconds: number }).retryAfterSeconds).toBe(15 * 60);
    expect(world.events.at(-1)).toMatchObject({ type: 'login.failed', method: 'code', reason: 'rate_limited' });
    // Another address is not affected, and the blocked code is still good there.
    ok(
      await world.accounts.sessions.loginWithCode(
        { code: next, state: 'another-state-00000001' },
        { ip: '198.51.100.77', userAgent: null },
      ),
    );
  });

  it('expires after 10 minutes', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const code = await requestCode(world, alice.email);
    world.clock.advance(10 * MINUTE);
    expect(errCode(await world.accounts.sessions.loginWithCode({ code, state: STATE }, REQUEST))).toBe('INVALID_CODE');
  });

  it('a new code under the same state invalidates the earlier one', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const first = await requestCode(world, alice.email);
    const second = await requestCode(world, alice.email);
    if (first !== second) {
      expect(errCode(await world.accounts.sessions.loginWithCode({ code: first, state: STATE }, REQUEST))).toBe(
        'INVALID_CODE',
      );
    }
    ok(await world.accounts.sessions.loginWithCode({ code: second, state: STATE }, REQUEST));
  });

  it('a code requested under another state leaves the earlier one usable (SPEC §4)', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const first = await requestCode(world, alice.email);
    const second = await requestCode(world, alice.email, 'second-state-0123456');
    ok(await world.accounts.sessions.loginWithCode({ code: first, state: STATE }, REQUEST));
    ok(await world.accounts.sessions.loginWithCode({ code: second, state: 'second-state-0123456' }, REQUEST));
  });

  it('sends nothing to an unknown address and answers the same', async () => {
    const world = makeWorld();
    const unknown = await world.accounts.sessions.requestLoginCode(
      { email: 'ghost@example.com', state: STATE },
      REQUEST,
    );
    expect(unknown.ok).toBe(true);
    expect(world.emailer.sent).toHaveLength(0);
  });

  it('refuses a 4th code to one address within 15 minutes, silently', async () => {
    const world = makeWorld();
    const alice = await signUp(world); // the registration's code counts against no send limit
    await requestCode(world, alice.email);
    await requestCode(world, alice.email);
    await requestCode(world, alice.email);
    expect(world.emailer.sent).toHaveLength(4);
    expect((await world.accounts.sessions.requestLoginCode({ email: alice.email, state: STATE }, REQUEST)).ok).toBe(
      true,
    );
    await world.accounts.settled();
    expect(world.emailer.sent).toHaveLength(4);
    world.clock.advance(15 * MINUTE);
    await requestCode(world, alice.email);
    expect(world.emailer.sent).toHaveLength(5);
  });

  it('sends nothing to a banned user', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const admin = await signUpSysadmin(world);
    ok(await world.accounts.users.ban(admin.caller, alice.userId));
    const sent = world.emailer.sent.length;
    ok(await world.accounts.sessions.requestLoginCode({ email: alice.email, state: STATE }, REQUEST));
    expect(world.emailer.sent).toHaveLength(sent);
  });

  it('validates the state: 16 to 128 printable ASCII characters', async () => {
    const world = makeWorld();
    for (const state of ['too-short-15chr', 'x'.repeat(129), 'tab\tin the state value', 'ünïcödé-state-value']) {
      expect(errCode(await world.accounts.sessions.requestLoginCode({ email: 'a@example.com', state }, REQUEST))).toBe(
        'VALIDATION_FAILED',
      );
    }
    ok(await world.accounts.sessions.requestLoginCode({ email: 'a@example.com', state: 'x'.repeat(128) }, REQUEST));
    ok(
      await world.accounts.sessions.requestLoginCode(
        { email: 'a@example.com', state: 'a space is printable' },
        REQUEST,
      ),
    );
  });

  it('stores codes only as hashes', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const code = await requestCode(world, alice.email);
    const stored = await world.io.findUsableCode({ purpose: 'login', state: STATE, maxAttempts: 5 }, world.clock.now());
    if (!stored) throw new Error('no usable code stored');
    expect(stored.codeHash).not.toContain(code);
    expect(stored.codeHash).toBe(world.lib.hashCode(stored.id, code));
  });
});
