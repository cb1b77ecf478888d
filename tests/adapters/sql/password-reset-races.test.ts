import { randomUUID } from 'node:crypto';
import { SqlIo } from '../../../src/adapters/sql';
import type { AccessTokenGrant } from '../../../src/domain/reauthentication';
import { describeEachDb } from '../../support/databases';
import { errCode, lastCode, makeWorld, ok, REQUEST, signUp } from '../../support/setup';

/**
 * Reset codes are single use on every SQL dialect: of 20 resets with one code at once, through the
 * domain, exactly one sets its password; and a reauthentication racing a password change gets no
 * fresh token for a session the change ended.
 */
const RACERS = 20;
const ROOMY = { codeFailuresPerIp: 1000, codeFailuresPerAddressAndIp: 1000 };

describeEachDb('password reset races', (database) => {
  it(`lets exactly one of ${RACERS} resets with one code set its password`, async () => {
    const world = makeWorld({ io: new SqlIo(database().knex), config: ROOMY });
    const alice = await signUp(world, { email: `reset-${randomUUID()}@example.com` });
    ok(await world.accounts.passwordReset.request({ email: alice.email }, REQUEST));
    const code = await lastCode(world, alice.email, 'password-reset');
    const passwords = Array.from({ length: RACERS }, (_, index) => `racing passphrase number ${index}`);
    const results = await Promise.all(
      passwords.map((newPassword) =>
        world.accounts.passwordReset.reset({ email: alice.email, code, newPassword }, REQUEST),
      ),
    );
    const winners = passwords.filter((_, index) => results[index]!.ok);
    expect(winners).toHaveLength(1);
    expect(results.filter((result) => !result.ok).map(errCode)).toEqual(Array(RACERS - 1).fill('INVALID_CODE'));
    for (const password of passwords) {
      const login = await world.accounts.sessions.loginWithPassword({ email: alice.email, password }, REQUEST);
      expect(login.ok).toBe(password === winners[0]);
    }
    expect(world.events.filter((event) => event.type === 'password.reset')).toHaveLength(1);
  });

  it('gives no fresh access token to a reauthentication whose session a password change ended', async () => {
    const world = makeWorld({ io: new SqlIo(database().knex), config: ROOMY });
    const alice = await signUp(world, { email: `reauth-${randomUUID()}@example.com` });
    const session = await world.accounts.sessions.loginWithPassword(
      { email: alice.email, password: alice.password },
      REQUEST,
    );
    const caller = {
      user: ok(await world.accounts.sessions.authenticate(ok<{ accessToken: string }>(session).accessToken)),
    };
    const [reauthenticated, changed] = await Promise.all([
      world.accounts.sessions.reauthenticate(caller as never, { password: alice.password }, REQUEST),
      world.accounts.users.changePassword(
        alice.caller,
        'me',
        { currentPassword: alice.password, newPassword: 'a brand new passphrase' },
        REQUEST,
      ),
    ]);
    ok(changed);
    if (reauthenticated.ok) {
      // It won the race: the change that came after ended the session it renewed.
      const grant = reauthenticated.val as AccessTokenGrant;
      expect(errCode(await world.accounts.sessions.authenticate(grant.accessToken))).toBe('INVALID_TOKEN');
    } else {
      expect(errCode(reauthenticated)).toBe('INVALID_TOKEN');
    }
  });
});
