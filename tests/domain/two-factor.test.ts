import * as OTPAuth from 'otpauth';
import type { Caller } from '../../src/domain/context';
import type { Tokens } from '../../src/domain/session-opening';
import type { RecoveryCodes } from '../../src/domain/two-factor';
import type { AccountsEvent } from '../../src/ports/events';
import type { TotpEnrolment } from '../../src/ports/lib';
import { errCode, lastCode, makeWorld, ok, REQUEST, type SignedInUser, signUp, type TestWorld } from '../support/setup';

const PAST_THE_STEP_UP_WINDOW = 10 * 60_000 + 1;

/** The code an authenticator app shows for `secret` at `at` (RFC 6238 defaults: SHA-1, 6 digits, 30 s). */
function totpAt(secret: string, at: Date): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate({
    timestamp: at.getTime(),
  });
}

/** Moves the clock to the start of the next 30-second step, so a new code exists. */
function nextStep(world: TestWorld): void {
  const now = world.clock.now().getTime();
  world.clock.advance(30_000 - (now % 30_000));
}

/** Verifies the user's address (two-factor needs one proven), unless it is verified already. */
async function verifyAddress(world: TestWorld, user: SignedInUser): Promise<void> {
  const emails = await world.io.listLoginEmails(user.userId);
  if (emails.some((email) => email.address === user.email && email.verifiedAt !== null)) return;
  ok(await world.accounts.emails.verify({ email: user.email, code: await lastCode(world, user.email) }, REQUEST));
}

async function enrolled(world: TestWorld, user: SignedInUser): Promise<{ secret: string; recoveryCodes: string[] }> {
  await verifyAddress(world, user);
  const enrolment = ok<TotpEnrolment>(await world.accounts.twoFactor.beginTotpEnrolment(user.caller, 'me'));
  const code = totpAt(enrolment.secret, world.clock.now());
  const { recoveryCodes } = ok<RecoveryCodes>(
    await world.accounts.twoFactor.confirmTotp(user.caller, 'me', { code }, REQUEST),
  );
  nextStep(world);
  return { secret: enrolment.secret, recoveryCodes };
}

async function challengeOf(world: TestWorld, user: SignedInUser): Promise<string> {
  const result = await world.accounts.sessions.loginWithPassword(
    { email: user.email, password: user.password },
    REQUEST,
  );
  expect(errCode(result)).toBe('MFA_REQUIRED');
  const challenge = (result.val as { challenge?: string }).challenge;
  expect(typeof challenge).toBe('string');
  return challenge!;
}

const completeWith = (world: TestWorld, challenge: string, factor: { code?: string; recoveryCode?: string }) =>
  world.accounts.sessions.completeMfaLogin({ challenge, ...factor }, REQUEST);

describe('two-factor: TOTP (RFC 6238)', () => {
  // RFC 6238 appendix B, SHA-1: the seed is the ASCII "12345678901234567890"; the values are 8 digits.
  const RFC_SHA1_VECTORS: Array<[number, string]> = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ];
  const rfcSecret = OTPAuth.Secret.fromUTF8('12345678901234567890').base32;

  it.each(RFC_SHA1_VECTORS)(
    'at T=%i the RFC algorithm gives %s, and the verifier accepts its 6 digits',
    (seconds, value) => {
      const world = makeWorld();
      const at = new Date(seconds * 1000);
      const rfc = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(rfcSecret), digits: 8, period: 30 });
      expect(rfc.generate({ timestamp: at.getTime() })).toBe(value);
      // Dynamic truncation mod 10^6 is the last 6 digits of the value mod 10^8 (RFC 4226 §5.3).
      expect(world.lib.totpCodeStep(rfcSecret, value.slice(-6), at)).toBe(Math.floor(seconds / 30));
      expect(world.lib.totpCodeStep(rfcSecret, value.slice(-6), new Date(at.getTime() + 30_000))).toBe(
        Math.floor(seconds / 30),
      );
      expect(world.lib.totpCodeStep(rfcSecret, value.slice(-6), new Date(at.getTime() + 90_000))).toBeNull();
    },
  );
});

describe('two-factor: enrolment', () => {
  it('needs a recent login, shows the secret, URI and QR code once, and is off until confirmed', async () => {
    const world = makeWorld({ config: { totpIssuer: 'Acme' } });
    const alice = await signUp(world);
    await verifyAddress(world, alice);
    world.clock.advance(PAST_THE_STEP_UP_WINDOW);
    expect(errCode(await world.accounts.twoFactor.beginTotpEnrolment(alice.caller, 'me'))).toBe(
      'REAUTHENTICATION_REQUIRED',
    );
    ok(await world.accounts.sessions.reauthenticate(alice.caller, { password: alice.password }, REQUEST));
    const enrolment = ok<TotpEnrolment>(await world.accounts.twoFactor.beginTotpEnrolment(alice.caller, 'me'));
    expect(enrolment.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrolment.uri).toBe(
      `otpauth://totp/Acme:${encodeURIComponent(alice.email)}?issuer=Acme&secret=${enrolment.secret}&algorithm=SHA1&digits=6&period=30`,
    );
    expect(enrolment.qrCodeSvg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const user = ok<{ mfa?: { totp: boolean } }>(await world.accounts.users.get(alice.caller, 'me'));
    expect(user.mfa).toEqual({ totp: false });
    // Pending: a login still opens a session.
    ok<Tokens>(
      await world.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST),
    );
  });

  it('refuses a wrong confirmation code and stays pending; a right one gives 10 recovery codes once', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    await verifyAddress(world, alice);
    const enrolment = ok<TotpEnrolment>(await world.accounts.twoFactor.beginTotpEnrolment(alice.caller, 'me'));
    const right = totpAt(enrolment.secret, world.clock.now());
    const wrong = right === '000000' ? '000001' : '000000';
    expect(errCode(await world.accounts.twoFactor.confirmTotp(alice.caller, 'me', { code: wrong }, REQUEST))).toBe(
      'INVALID_MFA_CODE',
    );
    expect((await world.io.findTotpFactor(alice.userId))?.confirmedAt).toBeNull();
    const { recoveryCodes } = ok<RecoveryCodes>(
      await world.accounts.twoFactor.confirmTotp(alice.caller, 'me', { code: right }, REQUEST),
    );
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect(recoveryCodes[0]).toMatch(/^[2-9a-z]{4}-[2-9a-z]{4}-[2-9a-z]{4}-[2-9a-z]{4}$/);
    expect(ok<{ mfa?: { totp: boolean } }>(await world.accounts.users.get(alice.caller, 'me')).mfa).toEqual({
      totp: true,
    });
    expect(world.events.map((event) => event.type)).toContain('mfa.enabled');
    expect(errCode(await world.accounts.twoFactor.confirmTotp(alice.caller, 'me', { code: right }, REQUEST))).toBe(
      'MFA_ALREADY_ENABLED',
    );
    expect(errCode(await world.accounts.twoFactor.beginTotpEnrolment(alice.caller, 'me'))).toBe('MFA_ALREADY_ENABLED');
  });

  it("is the user's own: another user, even a sysadmin, cannot enrol or confirm for them", async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const bob = await signUp(world);
    expect(errCode(await world.accounts.twoFactor.beginTotpEnrolment(bob.caller, alice.userId))).toBe('NOT_FOUND');
    expect(await world.io.findTotpFactor(alice.userId)).toBeNull();
  });

  it('stores the secret sealed: the stored row does not hold it, and it opens only for its user', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const { secret } = await enrolled(world, alice);
    const row = await world.io.findTotpFactor(alice.userId);
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(world.lib.openSecret(row!.sealedSecret, alice.userId)).toBe(secret);
    expect(world.lib.openSecret(row!.sealedSecret, 'usr_someone_else')).toBeNull();
    expect(JSON.stringify(world.events)).not.toContain(secret);
  });
});

describe('two-factor: login', () => {
  it('answers MFA_REQUIRED with a challenge and no session, then opens an `mfa` session with a TOTP', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const { secret } = await enrolled(world, alice);
    const sessionsBefore = (await world.io.listActiveSessions(alice.userId, world.clock.now())).length;
    const challenge = await challengeOf(world, alice);
    expect(await world.io.listActiveSessions(alice.userId, world.clock.now())).toHaveLength(sessionsBefore);
    const tokens = ok<Tokens>(await completeWith(world, challenge, { code: totpAt(secret, world.clock.now()) }));
    const session = await world.io.findSessionById(tokens.sessionId);
    expect(session?.authMethod).toBe('mfa');
    expect((await world.lib.verifyAccessToken(tokens.accessToken))?.amr).toEqual(['mfa']);
    expect(world.events).toContainEqual(expect.objectContaining({ type: 'login.succeeded', method: 'mfa' }));
    // Single use: the challenge is spent.
    nextStep(world);
    expect(errCode(await completeWith(world, challenge, { code: totpAt(secret, world.clock.now()) }))).toBe(
      'INVALID_MFA_CHALLENGE',
    );
  });

  it('refuses a replayed code, and one of the adjacent earlier step, without spending the challenge', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const { secret } = await enrolled(world, alice);
    const earlier = totpAt(secret, world.clock.now());
    nextStep(world);
    const current = totpAt(secret, world.clock.now());
    ok<Tokens>(await completeWith(world, await challengeOf(world, alice), { code: current }));
    const challenge = await challengeOf(world, alice);
    expect(errCode(await completeWith(world, challenge, { code: current }))).toBe('INVALID_MFA_CODE');
    expect(errCode(await completeWith(world, challenge, { code: earlier }))).toBe('INVALID_MFA_CODE');
    expect((await world.io.findMfaChallenge(world.lib.hashSecret(challenge)))?.consumedAt).toBeNull();
    nextStep(world);
    ok<Tokens>(await completeWith(world, challenge, { code: totpAt(secret, world.clock.now()) }));
  });

  it('kills the challenge at the 5th wrong try; after 4, the right code still works', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const { secret } = await enrolled(world, alice);
    const right = totpAt(secret, world.clock.now());
    const wrong = right === '123456' ? '654321' : '123456';
    const survivor = await challengeOf(world, alice);
    for (let i = 0; i < 4; i++)
      expect(errCode(await completeWith(world, survivor, { code: wrong }))).toBe('INVALID_MFA_CODE');
    ok<Tokens>(await completeWith(world, survivor, { code: right }));
    nextStep(world);
    const killed = await challengeOf(world, alice);
    for (let i = 0; i < 5; i++) await completeWith(world, killed, { code: wrong });
    expect(errCode(await completeWith(world, killed, { code: totpAt(secret, world.clock.now()) }))).toBe(
      'INVALID_MFA_CHALLENGE',
    );
  });

  it('limits wrong second factors per (user, IP) across challenges, so another place still gets in', async () => {
    const world = makeWorld({ config: { mfaFailuresPerUserAndIp: 3, mfaFailuresPerUser: 5 } });
    const alice = await signUp(world);
    const { secret } = await enrolled(world, alice);
    const right = totpAt(secret, world.clock.now());
    const wrong = right === '123456' ? '654321' : '123456';
    for (let i = 0; i < 3; i++) await completeWith(world, await challengeOf(world, alice), { code: wrong });
    expect(errCode(await completeWith(world, await challengeOf(world, alice), { code: right }))).toBe('RATE_LIMITED');
    // The guesser's place is stuck at its tight limit: what it tries there adds nothing to the ceiling.
    for (let i = 0; i < 5; i++) await completeWith(world, await challengeOf(world, alice), { code: wrong });
    const elsewhere = { ip: '198.51.100.20', userAgent: 'owner' };
    const challenge = await challengeOf(world, alice);
    ok<Tokens>(await world.accounts.sessions.completeMfaLogin({ challenge, code: right }, elsewhere));
  });

  it('caps wrong second factors per user from anywhere', async () => {
    const world = makeWorld({ config: { mfaFailuresPerUserAndIp: 2, mfaFailuresPerUser: 4 } });
    const alice = await signUp(world);
    const { secret } = await enrolled(world, alice);
    const right = totpAt(secret, world.clock.now());
    const wrong = right === '123456' ? '654321' : '123456';
    for (const ip of ['198.51.100.1', '198.51.100.2']) {
      for (let i = 0; i < 2; i++) {
        const challenge = await challengeOf(world, alice);
        await world.accounts.sessions.completeMfaLogin({ challenge, code: wrong }, { ip, userAgent: 'guesser' });
      }
    }
    const challenge = await challengeOf(world, alice);
    const fromThird = { ip: '198.51.100.3', userAgent: 'guesser' };
    expect(errCode(await world.accounts.sessions.completeMfaLogin({ challenge, code: right }, fromThird))).toBe(
      'RATE_LIMITED',
    );
  });

  it('counts a login against the per-user success limit only once its second factor completes it', async () => {
    const world = makeWorld({ config: { loginSuccessesPerUser: 3 } });
    const alice = await signUp(world);
    const { secret } = await enrolled(world, alice);
    // Someone who holds the password alone, from one place: challenges, never logins.
    const elsewhere = { ip: '198.51.100.66', userAgent: 'guesser' };
    for (let i = 0; i < 10; i++) {
      const first = await world.accounts.sessions.loginWithPassword(
        { email: alice.email, password: alice.password },
        elsewhere,
      );
      expect(errCode(first)).toBe('MFA_REQUIRED');
    }
    ok<Tokens>(await completeWith(world, await challengeOf(world, alice), { code: totpAt(secret, world.clock.now()) }));
  });

  it('removes the closed challenges of the user when it stores a new one, so logins leave no pile of rows', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const { secret } = await enrolled(world, alice);
    const used = await challengeOf(world, alice);
    ok<Tokens>(await completeWith(world, used, { code: totpAt(secret, world.clock.now()) }));
    const abandoned = await challengeOf(world, alice);
    world.clock.advance(5 * 60_000);
    const fresh = await challengeOf(world, alice);
    expect(await world.io.findMfaChallenge(world.lib.hashSecret(used))).toBeNull();
    expect(await world.io.findMfaChallenge(world.lib.hashSecret(abandoned))).toBeNull();
    expect(await world.io.findMfaChallenge(world.lib.hashSecret(fresh))).not.toBeNull();
  });

  it('lets a challenge expire after 5 minutes', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const { secret } = await enrolled(world, alice);
    const challenge = await challengeOf(world, alice);
    world.clock.advance(5 * 60_000);
    expect(errCode(await completeWith(world, challenge, { code: totpAt(secret, world.clock.now()) }))).toBe(
      'INVALID_MFA_CHALLENGE',
    );
  });

  it('accepts each recovery code once, and reports how many are left', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const { recoveryCodes } = await enrolled(world, alice);
    ok<Tokens>(
      await completeWith(world, await challengeOf(world, alice), { recoveryCode: recoveryCodes[3]!.toUpperCase() }),
    );
    expect(world.events).toContainEqual(
      expect.objectContaining({ type: 'mfa.recovery_code_used', userId: alice.userId, remaining: 9 }),
    );
    expect(
      errCode(await completeWith(world, await challengeOf(world, alice), { recoveryCode: recoveryCodes[3]! })),
    ).toBe('INVALID_MFA_CODE');
    expect(JSON.stringify(world.events)).not.toContain(recoveryCodes[3]!);
  });

  it('lets a password change made while the challenge waited win', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const { secret } = await enrolled(world, alice);
    const challenge = await challengeOf(world, alice);
    ok(
      await world.accounts.users.changePassword(
        alice.caller,
        'me',
        { currentPassword: alice.password, newPassword: 'an entirely new passphrase' },
        REQUEST,
      ),
    );
    expect(errCode(await completeWith(world, challenge, { code: totpAt(secret, world.clock.now()) }))).toBe(
      'INVALID_MFA_CHALLENGE',
    );
  });

  it('after a code login proves the address and answers MFA_REQUIRED, remembering the code method', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    ok(await world.accounts.emails.verify({ email: alice.email, code: await lastCode(world, alice.email) }, REQUEST));
    const { secret } = await enrolled(world, alice);
    const state = 'mfa-code-login-state-01';
    ok(await world.accounts.sessions.requestLoginCode({ email: alice.email, state }, REQUEST));
    const code = await lastCode(world, alice.email, 'login');
    const result = await world.accounts.sessions.loginWithCode({ code, state }, REQUEST);
    expect(errCode(result)).toBe('MFA_REQUIRED');
    expect(await world.io.listActiveSessions(alice.userId, world.clock.now())).toHaveLength(1);
    const challenge = (result.val as { challenge: string }).challenge;
    expect((await world.io.findMfaChallenge(world.lib.hashSecret(challenge)))?.firstFactor).toBe('code');
    ok<Tokens>(await completeWith(world, challenge, { code: totpAt(secret, world.clock.now()) }));
  });

  it('refuses an enrolment before an address is verified: a claim by code login would undo it (pre-hijacking)', async () => {
    const world = makeWorld();
    const claimant = await signUp(world, { email: 'victim@example.com' });
    expect(errCode(await world.accounts.twoFactor.beginTotpEnrolment(claimant.caller, 'me'))).toBe(
      'EMAIL_NOT_VERIFIED',
    );
    expect(await world.io.findTotpFactor(claimant.userId)).toBeNull();
  });

  it('a code login claiming an account no address proved removes a factor stored before (pre-hijacking, a safety net)', async () => {
    const world = makeWorld();
    const claimant = await signUp(world, { email: 'victim@example.com' });
    // Stored directly: the service refuses an enrolment on an unproven account, a custom one may not.
    const sealedSecret = world.lib.sealSecret('JBSWY3DPEHPK3PXP', claimant.userId);
    const now = world.clock.now();
    await world.io.putTotpFactor({
      userId: claimant.userId,
      sealedSecret,
      createdAt: now,
      confirmedAt: now,
      lastUsedStep: null,
    });
    const state = 'mfa-claim-state-0123456';
    ok(await world.accounts.sessions.requestLoginCode({ email: 'victim@example.com', state }, REQUEST));
    const code = await lastCode(world, 'victim@example.com', 'login');
    ok<Tokens>(await world.accounts.sessions.loginWithCode({ code, state }, REQUEST));
    expect(await world.io.findTotpFactor(claimant.userId)).toBeNull();
    expect(world.events).toContainEqual(expect.objectContaining({ type: 'mfa.disabled', reason: 'account_claimed' }));
  });

  it('needs exactly one of code and recoveryCode', async () => {
    const world = makeWorld();
    expect(errCode(await completeWith(world, 'x'.repeat(43), {}))).toBe('VALIDATION_FAILED');
    expect(errCode(await completeWith(world, 'x'.repeat(43), { code: '123456', recoveryCode: 'abcd' }))).toBe(
      'VALIDATION_FAILED',
    );
  });
});

describe('two-factor: disabling and new recovery codes', () => {
  it('refuses a session opened with the password before two-factor was on: it must reauthenticate with the factor', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    // A second session by password alone (a stolen one, say), before the owner turns two-factor on.
    const stolen = ok<Tokens>(
      await world.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST),
    );
    const thief: Caller = { user: ok(await world.accounts.sessions.authenticate(stolen.accessToken)) };
    const { secret } = await enrolled(world, alice);
    expect(errCode(await world.accounts.twoFactor.replaceRecoveryCodes(thief, 'me'))).toBe('REAUTHENTICATION_REQUIRED');
    expect(errCode(await world.accounts.twoFactor.disableTotp(thief, 'me'))).toBe('REAUTHENTICATION_REQUIRED');
    expect(errCode(await world.accounts.emails.add(thief, 'me', { emails: ['thief@example.net'] }, REQUEST))).toBe(
      'REAUTHENTICATION_REQUIRED',
    );
    expect(await world.io.findTotpFactor(alice.userId)).not.toBeNull();
    // With the second factor, the same session may.
    const totp = totpAt(secret, world.clock.now());
    ok(await world.accounts.sessions.reauthenticate(thief, { password: alice.password, totp }, REQUEST));
    ok<RecoveryCodes>(await world.accounts.twoFactor.replaceRecoveryCodes(thief, 'me'));
  });

  it('disabling needs a recent login, removes the factor and its codes, and logins open sessions again', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const { recoveryCodes } = await enrolled(world, alice);
    world.clock.advance(PAST_THE_STEP_UP_WINDOW);
    expect(errCode(await world.accounts.twoFactor.disableTotp(alice.caller, 'me'))).toBe('REAUTHENTICATION_REQUIRED');
    expect(await world.io.findTotpFactor(alice.userId)).not.toBeNull();
    const fresh = await freshCaller(world, alice, recoveryCodes[1]!);
    ok(await world.accounts.twoFactor.disableTotp(fresh, 'me'));
    expect(await world.io.findTotpFactor(alice.userId)).toBeNull();
    expect(await world.io.countUnusedRecoveryCodes(alice.userId)).toBe(0);
    expect(world.events).toContainEqual(expect.objectContaining({ type: 'mfa.disabled', reason: 'disabled' }));
    ok<Tokens>(
      await world.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST),
    );
  });

  it('replacing recovery codes voids the old ones', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const { recoveryCodes: old } = await enrolled(world, alice);
    const { recoveryCodes } = ok<RecoveryCodes>(
      await world.accounts.twoFactor.replaceRecoveryCodes(alice.caller, 'me'),
    );
    expect(recoveryCodes).toHaveLength(10);
    expect(errCode(await completeWith(world, await challengeOf(world, alice), { recoveryCode: old[0]! }))).toBe(
      'INVALID_MFA_CODE',
    );
    ok<Tokens>(await completeWith(world, await challengeOf(world, alice), { recoveryCode: recoveryCodes[0]! }));
    expect(world.events.filter((event: AccountsEvent) => event.type === 'mfa.recovery_codes_replaced')).toHaveLength(1);
  });
});

/** A caller whose session was just opened through two-factor (a fresh login: step-up satisfied). */
async function freshCaller(world: TestWorld, user: SignedInUser, recoveryCode: string): Promise<Caller> {
  const tokens = ok<Tokens>(await completeWith(world, await challengeOf(world, user), { recoveryCode }));
  return { user: ok(await world.accounts.sessions.authenticate(tokens.accessToken)) };
}
