import * as OTPAuth from 'otpauth';
import type { AccessTokenGrant } from '../../src/domain/reauthentication';
import type { RecoveryCodes } from '../../src/domain/two-factor';
import type { TotpEnrolment } from '../../src/ports/lib';
import { errCode, lastCode, makeWorld, ok, REQUEST, type SignedInUser, signUp, type TestWorld } from '../support/setup';

function totpAt(secret: string, at: Date): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate({
    timestamp: at.getTime(),
  });
}

function nextStep(world: TestWorld): void {
  world.clock.advance(30_000 - (world.clock.now().getTime() % 30_000));
}

async function enrolled(world: TestWorld, user: SignedInUser): Promise<{ secret: string; recoveryCodes: string[] }> {
  // A proven address: a reset of an account none of whose addresses was proven is a claim, which
  // removes a second factor set up before (two-factor.test.ts shows it).
  ok(await world.accounts.emails.verify({ email: user.email, code: await lastCode(world, user.email) }, REQUEST));
  const { secret } = ok<TotpEnrolment>(await world.accounts.twoFactor.beginTotpEnrolment(user.caller, 'me'));
  const { recoveryCodes } = ok<RecoveryCodes>(
    await world.accounts.twoFactor.confirmTotp(user.caller, 'me', { code: totpAt(secret, world.clock.now()) }, REQUEST),
  );
  nextStep(world);
  return { secret, recoveryCodes };
}

describe('two-factor and step-up (POST /authn/reauthenticate)', () => {
  it('asks a user with two-factor for a second factor with the password, and records `mfa`', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const { secret } = await enrolled(world, alice);
    const reauthenticate = (input: Record<string, string>) =>
      world.accounts.sessions.reauthenticate(alice.caller, input, REQUEST);
    expect(errCode(await reauthenticate({ password: alice.password }))).toBe('MFA_CODE_REQUIRED');
    const wrong = totpAt(secret, world.clock.now()) === '000000' ? '111111' : '000000';
    expect(errCode(await reauthenticate({ password: alice.password, totp: wrong }))).toBe('INVALID_MFA_CODE');
    ok<AccessTokenGrant>(await reauthenticate({ password: alice.password, totp: totpAt(secret, world.clock.now()) }));
    expect((await world.io.findSessionById(alice.caller.user!.sessionId!))?.authMethod).toBe('mfa');
  });

  it('takes a TOTP alone, once per step', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const { secret } = await enrolled(world, alice);
    const code = totpAt(secret, world.clock.now());
    const grant = ok<AccessTokenGrant>(
      await world.accounts.sessions.reauthenticate(alice.caller, { totp: code }, REQUEST),
    );
    expect((await world.lib.verifyAccessToken(grant.accessToken))?.amr).toEqual(['mfa']);
    expect(errCode(await world.accounts.sessions.reauthenticate(alice.caller, { totp: code }, REQUEST))).toBe(
      'INVALID_MFA_CODE',
    );
  });

  it('refuses a second factor from a user without two-factor', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    expect(errCode(await world.accounts.sessions.reauthenticate(alice.caller, { totp: '123456' }, REQUEST))).toBe(
      'MFA_NOT_ENABLED',
    );
  });
});

describe('two-factor and password reset', () => {
  async function resetCode(world: TestWorld, user: SignedInUser): Promise<string> {
    ok(await world.accounts.passwordReset.request({ email: user.email }, REQUEST));
    return lastCode(world, user.email, 'password-reset');
  }
  const NEW_PASSWORD = 'a reset passphrase of mine';

  it('needs the second factor in the same request; without it the code stays usable', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const { secret } = await enrolled(world, alice);
    const code = await resetCode(world, alice);
    const reset = (extra: Record<string, string>) =>
      world.accounts.passwordReset.reset({ email: alice.email, code, newPassword: NEW_PASSWORD, ...extra }, REQUEST);
    expect(errCode(await reset({}))).toBe('MFA_CODE_REQUIRED');
    const wrong = totpAt(secret, world.clock.now()) === '000000' ? '111111' : '000000';
    expect(errCode(await reset({ totp: wrong }))).toBe('INVALID_MFA_CODE');
    const user = await world.io.findUserById(alice.userId);
    expect(await world.lib.verifyPassword(alice.password, user!.passwordHash!)).toBe(true);
    ok(await reset({ totp: totpAt(secret, world.clock.now()) }));
    const changed = await world.io.findUserById(alice.userId);
    expect(await world.lib.verifyPassword(NEW_PASSWORD, changed!.passwordHash!)).toBe(true);
  });

  it('gives a right second factor its guess back, so a successful reset spends none of the wrong-code budget', async () => {
    const world = makeWorld({ config: { mfaFailuresPerUserAndIp: 1 } });
    const alice = await signUp(world);
    const { secret } = await enrolled(world, alice);
    const code = await resetCode(world, alice);
    const totp = totpAt(secret, world.clock.now());
    ok(
      await world.accounts.passwordReset.reset({ email: alice.email, code, newPassword: NEW_PASSWORD, totp }, REQUEST),
    );
    world.clock.advance(30_000);
    const first = await world.accounts.sessions.loginWithPassword(
      { email: alice.email, password: NEW_PASSWORD },
      REQUEST,
    );
    const challenge = (first.val as { challenge: string }).challenge;
    const next = totpAt(secret, world.clock.now());
    ok(await world.accounts.sessions.completeMfaLogin({ challenge, code: next }, REQUEST));
  });

  it('takes a recovery code instead, once', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const { recoveryCodes } = await enrolled(world, alice);
    ok(
      await world.accounts.passwordReset.reset(
        {
          email: alice.email,
          code: await resetCode(world, alice),
          newPassword: NEW_PASSWORD,
          recoveryCode: recoveryCodes[0]!,
        },
        REQUEST,
      ),
    );
    expect(await world.io.countUnusedRecoveryCodes(alice.userId)).toBe(9);
    expect(
      errCode(
        await world.accounts.passwordReset.reset(
          {
            email: alice.email,
            code: await resetCode(world, alice),
            newPassword: 'yet another passphrase',
            recoveryCode: recoveryCodes[0]!,
          },
          REQUEST,
        ),
      ),
    ).toBe('INVALID_MFA_CODE');
  });
});
