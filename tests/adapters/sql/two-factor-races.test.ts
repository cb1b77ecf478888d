import { randomUUID } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import { SqlIo } from '../../../src/adapters/sql';
import type { Tokens } from '../../../src/domain/session-opening';
import type { RecoveryCodes } from '../../../src/domain/two-factor';
import type { TotpEnrolment } from '../../../src/ports/lib';
import { describeEachDb } from '../../support/databases';
import { dumpTables, listTables } from '../../support/db-snapshot';
import { errCode, lastCode, makeWorld, ok, REQUEST, signUp, type TestWorld } from '../../support/setup';

/**
 * Two-factor's single-use rules hold on every SQL dialect, through the domain: of 20 completions of
 * one challenge at once exactly one opens a session; of 20 uses of one TOTP code (each with its own
 * challenge) one wins; of 20 uses of one recovery code one wins. And a dump of every table holds
 * neither the TOTP secret nor a recovery code.
 */
const RACERS = 20;
const ROOMY = {
  mfaFailuresPerUserAndIp: 1000,
  mfaFailuresPerUser: 1000,
  mfaFailuresPerIp: 1000,
  loginFailuresPerIdentifierAndIp: 1000,
};

const totpAt = (secret: string, at: Date): string =>
  new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate({
    timestamp: at.getTime(),
  });

async function enrolledUser(world: TestWorld) {
  const user = await signUp(world, { email: `mfa-${randomUUID()}@example.com` });
  // Two-factor needs a verified address.
  ok(await world.accounts.emails.verify({ email: user.email, code: await lastCode(world, user.email) }, REQUEST));
  const { secret } = ok<TotpEnrolment>(await world.accounts.twoFactor.beginTotpEnrolment(user.caller, 'me'));
  const { recoveryCodes } = ok<RecoveryCodes>(
    await world.accounts.twoFactor.confirmTotp(user.caller, 'me', { code: totpAt(secret, world.clock.now()) }, REQUEST),
  );
  world.clock.advance(30_000);
  return { user, secret, recoveryCodes };
}

async function challengeOf(world: TestWorld, email: string, password: string): Promise<string> {
  const result = await world.accounts.sessions.loginWithPassword({ email, password }, REQUEST);
  expect(errCode(result)).toBe('MFA_REQUIRED');
  return (result.val as { challenge: string }).challenge;
}

describeEachDb('two-factor races', (database) => {
  it(`opens exactly one session when ${RACERS} completions of one challenge run at once`, async () => {
    const world = makeWorld({ io: new SqlIo(database().knex), config: ROOMY });
    const { user, recoveryCodes } = await enrolledUser(world);
    const challenge = await challengeOf(world, user.email, user.password);
    const results = await Promise.all(
      recoveryCodes
        .concat(recoveryCodes)
        .map((recoveryCode) => world.accounts.sessions.completeMfaLogin({ challenge, recoveryCode }, REQUEST)),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(
      results
        .filter((result) => !result.ok)
        .map(errCode)
        .every((code) => /^INVALID_MFA_/.test(code)),
    ).toBe(true);
    expect(await world.io.countUnusedRecoveryCodes(user.userId)).toBe(9);
  });

  it(`accepts one TOTP code once when ${RACERS} logins present it at once`, async () => {
    const world = makeWorld({ io: new SqlIo(database().knex), config: ROOMY });
    const { user, secret } = await enrolledUser(world);
    const challenges: string[] = [];
    for (let i = 0; i < RACERS; i++) challenges.push(await challengeOf(world, user.email, user.password));
    const code = totpAt(secret, world.clock.now());
    const results = await Promise.all(
      challenges.map((challenge) => world.accounts.sessions.completeMfaLogin({ challenge, code }, REQUEST)),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(results.filter((result) => !result.ok).map(errCode)).toEqual(Array(RACERS - 1).fill('INVALID_MFA_CODE'));
  });

  it(`accepts one recovery code once when ${RACERS} logins present it at once`, async () => {
    const world = makeWorld({ io: new SqlIo(database().knex), config: ROOMY });
    const { user, recoveryCodes } = await enrolledUser(world);
    const challenges: string[] = [];
    for (let i = 0; i < RACERS; i++) challenges.push(await challengeOf(world, user.email, user.password));
    const results = await Promise.all(
      challenges.map((challenge) =>
        world.accounts.sessions.completeMfaLogin({ challenge, recoveryCode: recoveryCodes[0]! }, REQUEST),
      ),
    );
    expect(results.filter((result) => result.ok).map((result) => typeof (result.val as Tokens).accessToken)).toEqual([
      'string',
    ]);
  });

  it('leaves neither the TOTP secret nor a recovery code readable in a dump of the database', async () => {
    const world = makeWorld({ io: new SqlIo(database().knex), config: ROOMY });
    const { user, secret, recoveryCodes } = await enrolledUser(world);
    const dump = JSON.stringify(await dumpTables(database().knex, await listTables(database().knex)));
    expect(dump).toContain(user.userId);
    expect(dump.toUpperCase()).not.toContain(secret);
    for (const code of recoveryCodes) {
      expect(dump).not.toContain(code);
      expect(dump).not.toContain(code.replace(/-/g, ''));
    }
  });
});
