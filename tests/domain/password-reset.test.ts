import type { Tokens } from '../../src/domain/sessions';
import { errCode, lastCode, makeWorld, ok, REQUEST, STRONG_PASSWORD, signUp, type TestWorld } from '../support/setup';

const NEW_PASSWORD = 'a brand new passphrase';

async function requestReset(world: TestWorld, email: string): Promise<string> {
  ok(await world.accounts.passwordReset.request({ email }, REQUEST));
  return lastCode(world, email, 'password-reset');
}

const login = (world: TestWorld, email: string, password: string) =>
  world.accounts.sessions.loginWithPassword({ email, password }, REQUEST);

describe('password reset', () => {
  it('keeps a code requested with a state through anyone else’s requests, and takes it only with that state', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const state = 'owner-reset-state-0123456789';
    ok(await world.accounts.passwordReset.request({ email: alice.email, state }, REQUEST));
    await world.accounts.settled();
    const ownersCode = await lastCode(world, alice.email, 'password-reset');
    // Someone else asks for codes for the same address, with and without a state of their own.
    const elsewhere = { ip: '198.51.100.9', userAgent: 'spoiler' };
    ok(await world.accounts.passwordReset.request({ email: alice.email }, elsewhere));
    ok(
      await world.accounts.passwordReset.request({ email: alice.email, state: 'spoiler-state-0123456789' }, elsewhere),
    );
    const reset = (extra: { state?: string }) =>
      world.accounts.passwordReset.reset(
        { email: alice.email, code: ownersCode, newPassword: NEW_PASSWORD, ...extra },
        REQUEST,
      );
    // Without its state (or with another) the code is not even compared: no attempt of it is spent.
    expect(errCode(await reset({}))).toBe('INVALID_CODE');
    expect(errCode(await reset({ state: 'spoiler-state-0123456789' }))).toBe('INVALID_CODE');
    ok(await reset({ state }));
    ok(await login(world, alice.email, NEW_PASSWORD));
  });

  it('lets a stateless request void only the earlier stateless code of the address', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const first = await requestReset(world, alice.email);
    const second = await requestReset(world, alice.email);
    const reset = (code: string) =>
      world.accounts.passwordReset.reset({ email: alice.email, code, newPassword: NEW_PASSWORD }, REQUEST);
    expect(errCode(await reset(first))).toBe('INVALID_CODE');
    ok(await reset(second));
  });

  it('sets a new password with the emailed code, ends every session and reports it', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const other = ok<Tokens>(await login(world, alice.email, alice.password));
    const code = await requestReset(world, alice.email);
    ok(await world.accounts.passwordReset.reset({ email: alice.email, code, newPassword: NEW_PASSWORD }, REQUEST));

    expect(errCode(await login(world, alice.email, STRONG_PASSWORD))).toBe('INVALID_CREDENTIALS');
    ok(await login(world, alice.email, NEW_PASSWORD));
    for (const tokens of [alice.tokens, other]) {
      expect(errCode(await world.accounts.sessions.authenticate(tokens.accessToken))).toBe('INVALID_TOKEN');
      expect(errCode(await world.accounts.sessions.refresh({ refreshToken: tokens.refreshToken }, REQUEST))).toBe(
        'INVALID_REFRESH_TOKEN',
      );
    }
    expect(world.events.map((event) => event.type)).toEqual(
      expect.arrayContaining(['password.reset', 'email.verified']),
    );
    expect(world.events).toContainEqual(
      expect.objectContaining({
        type: 'session.revoked',
        userId: alice.userId,
        sessionId: null,
        reason: 'password_reset',
      }),
    );
    // The address proved itself.
    const emails = ok<{ data: Array<{ address: string; verifiedAt: Date | null }> }>(
      await world.accounts.emails.list({ user: { id: alice.userId, roles: ['user'], sessionId: null } }, alice.userId),
    ).data;
    expect(emails.find((email) => email.address === alice.email)?.verifiedAt).not.toBeNull();
  });

  it('uses a code once', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const code = await requestReset(world, alice.email);
    ok(await world.accounts.passwordReset.reset({ email: alice.email, code, newPassword: NEW_PASSWORD }, REQUEST));
    expect(
      errCode(
        await world.accounts.passwordReset.reset(
          { email: alice.email, code, newPassword: 'yet another passphrase' },
          REQUEST,
        ),
      ),
    ).toBe('INVALID_CODE');
    ok(await login(world, alice.email, NEW_PASSWORD));
  });

  it('answers a request for an unknown address exactly like one for a known address, and sends nothing', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const known = await world.accounts.passwordReset.request({ email: alice.email }, REQUEST);
    const unknown = await world.accounts.passwordReset.request({ email: 'nobody@example.com' }, REQUEST);
    expect(unknown).toEqual(known);
    await world.accounts.settled();
    expect(world.emailer.sent.filter((mail) => mail.kind === 'password-reset').map((mail) => mail.to)).toEqual([
      alice.email,
    ]);
  });

  it('refuses a wrong code alike for known and unknown addresses, without hashing anything', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    await requestReset(world, alice.email);
    const hash = jest.spyOn(world.lib, 'hashPassword');
    for (const email of [alice.email, 'nobody@example.com']) {
      expect(
        errCode(
          await world.accounts.passwordReset.reset({ email, code: '000000', newPassword: NEW_PASSWORD }, REQUEST),
        ),
      ).toBe('INVALID_CODE');
    }
    expect(hash).not.toHaveBeenCalled();
  });

  it('keeps the code usable when the new password is refused, and applies the password rules', async () => {
    const world = makeWorld();
    const alice = await signUp(world, { name: 'Ada Augusta Lovelace' });
    const code = await requestReset(world, alice.email);
    const reset = (newPassword: string) =>
      world.accounts.passwordReset.reset({ email: alice.email, code, newPassword }, REQUEST);
    expect(errCode(await reset('short'))).toBe('WEAK_PASSWORD');
    expect(errCode(await reset(alice.email))).toBe('WEAK_PASSWORD');
    expect(errCode(await reset('Ada Augusta Lovelace'))).toBe('WEAK_PASSWORD');
    ok(await reset(NEW_PASSWORD));
  });

  it('invalidates the code after 5 wrong attempts', async () => {
    const world = makeWorld({ config: { codeFailuresPerAddressAndIp: 100 } });
    const alice = await signUp(world);
    const code = await requestReset(world, alice.email);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let attempt = 0; attempt < 5; attempt++) {
      await world.accounts.passwordReset.reset({ email: alice.email, code: wrong, newPassword: NEW_PASSWORD }, REQUEST);
    }
    expect(
      errCode(
        await world.accounts.passwordReset.reset({ email: alice.email, code, newPassword: NEW_PASSWORD }, REQUEST),
      ),
    ).toBe('INVALID_CODE');
  });

  it('limits wrong codes per (address, IP) below the code’s own attempts, so a stranger cannot kill it', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const code = await requestReset(world, alice.email);
    const wrong = code === '000000' ? '111111' : '000000';
    const stranger = { ip: '198.51.100.9', userAgent: 'x' };
    let limited = false;
    for (let attempt = 0; attempt < 10 && !limited; attempt++) {
      const result = await world.accounts.passwordReset.reset(
        { email: alice.email, code: wrong, newPassword: NEW_PASSWORD },
        stranger,
      );
      limited = !result.ok && result.val.code === 'RATE_LIMITED';
    }
    expect(limited).toBe(true);
    ok(await world.accounts.passwordReset.reset({ email: alice.email, code, newPassword: NEW_PASSWORD }, REQUEST));
  });

  it('expires codes after 30 minutes', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const code = await requestReset(world, alice.email);
    world.clock.advance(30 * 60_000);
    expect(
      errCode(
        await world.accounts.passwordReset.reset({ email: alice.email, code, newPassword: NEW_PASSWORD }, REQUEST),
      ),
    ).toBe('INVALID_CODE');
  });

  it('does not accept a login or verification code as a reset code', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const verification = await lastCode(world, alice.email, 'verify-email');
    expect(
      errCode(
        await world.accounts.passwordReset.reset(
          { email: alice.email, code: verification, newPassword: NEW_PASSWORD },
          REQUEST,
        ),
      ),
    ).toBe('INVALID_CODE');
  });

  it('tells a banned user only once the code is right, and changes nothing', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const code = await requestReset(world, alice.email);
    await world.io.updateUser(alice.userId, { bannedAt: world.clock.now(), updatedAt: world.clock.now() });
    const before = await world.io.findUserById(alice.userId);
    expect(
      errCode(
        await world.accounts.passwordReset.reset({ email: alice.email, code, newPassword: NEW_PASSWORD }, REQUEST),
      ),
    ).toBe('ACCOUNT_DISABLED');
    expect(await world.io.findUserById(alice.userId)).toEqual(before);
  });

  describe('pre-hijacking (a reset proves the address like a code login)', () => {
    it('on an account no address of which was proven, removes the claimant’s other addresses and sessions', async () => {
      const world = makeWorld();
      // The attacker registers the victim's address, with a password and an address of their own.
      const squatter = await signUp(world, { email: 'victim@example.com' });
      ok(
        await world.accounts.emails.add(
          squatter.caller,
          squatter.userId,
          { emails: ['squatter@evil.example'] },
          REQUEST,
        ),
      );
      const code = await requestReset(world, 'victim@example.com');
      ok(
        await world.accounts.passwordReset.reset(
          { email: 'victim@example.com', code, newPassword: NEW_PASSWORD },
          REQUEST,
        ),
      );
      expect(errCode(await world.accounts.sessions.authenticate(squatter.tokens.accessToken))).toBe('INVALID_TOKEN');
      expect(await world.io.findLoginEmail('squatter@evil.example')).toBeNull();
      expect(errCode(await login(world, 'victim@example.com', STRONG_PASSWORD))).toBe('INVALID_CREDENTIALS');
      ok(await login(world, 'victim@example.com', NEW_PASSWORD));
      expect(world.events.map((event) => event.type)).toContain('account.claimed');
    });

    it('never resets the password of an account proven by another address: the address is released', async () => {
      const world = makeWorld();
      const owner = await signUp(world);
      ok(await world.accounts.emails.verify({ email: owner.email, code: await lastCode(world, owner.email) }, REQUEST));
      // Someone added an address they control to the owner's account (as the owner, or an admin) but it stayed unverified.
      ok(await world.accounts.emails.add(owner.caller, owner.userId, { emails: ['added@example.com'] }, REQUEST));
      const code = await requestReset(world, 'added@example.com');
      expect(
        errCode(
          await world.accounts.passwordReset.reset(
            { email: 'added@example.com', code, newPassword: NEW_PASSWORD },
            REQUEST,
          ),
        ),
      ).toBe('ADDRESS_RELEASED');
      ok(await login(world, owner.email, owner.password));
      expect(await world.io.findLoginEmail('added@example.com')).toBeNull();
      expect(world.events).toContainEqual(
        expect.objectContaining({ type: 'email.released', userId: owner.userId, address: 'added@example.com' }),
      );
    });
  });
});
