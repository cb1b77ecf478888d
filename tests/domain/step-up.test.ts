import type { Caller } from '../../src/domain/context';
import type { AccessTokenGrant } from '../../src/domain/reauthentication';
import {
  errCode,
  lastCode,
  makeWorld,
  ok,
  REQUEST,
  type SignedInUser,
  STRONG_PASSWORD,
  signUp,
  type TestWorld,
} from '../support/setup';

const PAST_THE_WINDOW = 10 * 60_000 + 1;
const STATE = 'stepup-state-0123456789';

/** Each sensitive action, as the caller would attempt it. */
function sensitiveActions(world: TestWorld, user: SignedInUser) {
  return {
    'a password change without the current password': (caller: Caller) =>
      world.accounts.users.changePassword(caller, 'me', { newPassword: 'a brand new passphrase' }, REQUEST),
    'adding a login email': (caller: Caller) =>
      world.accounts.emails.add(caller, 'me', { emails: ['second@example.com'] }, REQUEST),
    'removing a login email': (caller: Caller) => world.accounts.emails.remove(caller, 'me', { emails: [user.email] }),
    'deleting the account': (caller: Caller) => world.accounts.users.delete(caller, 'me'),
  };
}

describe('step-up: sensitive actions need a recent login', () => {
  it.each([
    'a password change without the current password',
    'adding a login email',
    'removing a login email',
    'deleting the account',
  ])('refuses %s once the login is older than 10 minutes, and allows it after a reauthentication', async (name) => {
    const world = makeWorld();
    const alice = await signUp(world);
    const act = sensitiveActions(world, alice)[name as keyof ReturnType<typeof sensitiveActions>];
    world.clock.advance(PAST_THE_WINDOW);
    expect(errCode(await act(alice.caller))).toBe('REAUTHENTICATION_REQUIRED');
    ok<AccessTokenGrant>(
      await world.accounts.sessions.reauthenticate(alice.caller, { password: alice.password }, REQUEST),
    );
    const result = await act(alice.caller);
    // Removing the only address is refused for another reason, which the step-up let it reach.
    if (name === 'removing a login email') expect(errCode(result)).toBe('LAST_EMAIL');
    else ok(result);
  });

  it('refuses rotating a client key to an admin whose login is old', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const org = ok<{ id: string }>(await world.accounts.organizations.create(alice.caller, { name: 'Acme' }));
    const created = ok<{ client: { id: string } }>(
      await world.accounts.clients.create(alice.caller, org.id, { name: 'job' }),
    );
    world.clock.advance(PAST_THE_WINDOW);
    expect(errCode(await world.accounts.clients.rotateKey(alice.caller, created.client.id))).toBe(
      'REAUTHENTICATION_REQUIRED',
    );
    ok(await world.accounts.sessions.reauthenticate(alice.caller, { password: alice.password }, REQUEST));
    ok(await world.accounts.clients.rotateKey(alice.caller, created.client.id));
  });

  it('allows a password change with the current password whatever the age of the login', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    world.clock.advance(PAST_THE_WINDOW);
    ok(
      await world.accounts.users.changePassword(
        alice.caller,
        'me',
        { currentPassword: STRONG_PASSWORD, newPassword: 'a brand new passphrase' },
        REQUEST,
      ),
    );
  });

  it('exempts system clients, which have no login to repeat', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    world.clock.advance(PAST_THE_WINDOW);
    const system: Caller = { client: { id: 'cli_ops', organizationId: '', roles: ['system'] } };
    ok(await world.accounts.emails.add(system, alice.userId, { emails: ['ops-added@example.com'] }, REQUEST));
  });

  it('counts from the session’s own authentication, which a refresh does not move', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    world.clock.advance(PAST_THE_WINDOW);
    const refreshed = ok<{ accessToken: string }>(
      await world.accounts.sessions.refresh({ refreshToken: alice.tokens.refreshToken }, REQUEST),
    );
    const caller: Caller = { user: ok(await world.accounts.sessions.authenticate(refreshed.accessToken)) };
    expect(errCode(await world.accounts.emails.add(caller, 'me', { emails: ['x@example.com'] }, REQUEST))).toBe(
      'REAUTHENTICATION_REQUIRED',
    );
  });
});

describe('reauthentication', () => {
  it('with the password: a new access token of the same session carrying the new auth_time and method', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    world.clock.advance(PAST_THE_WINDOW);
    const grant = ok<AccessTokenGrant>(
      await world.accounts.sessions.reauthenticate(alice.caller, { password: alice.password }, REQUEST),
    );
    expect(grant.sessionId).toBe(alice.tokens.sessionId);
    const claims = ok<{ auth_time?: number; amr?: string[]; sid: string }>(
      await world.accounts.sessions.verifyStateless(grant.accessToken),
    );
    expect(claims.auth_time).toBe(Math.floor(world.clock.now().getTime() / 1000));
    expect(claims.amr).toEqual(['pwd']);
    expect(world.events).toContainEqual(
      expect.objectContaining({ type: 'session.reauthenticated', userId: alice.userId, method: 'password' }),
    );
    // The refresh token of the session still works, and keeps the new authentication.
    ok(await world.accounts.sessions.refresh({ refreshToken: alice.tokens.refreshToken }, REQUEST));
  });

  it('refuses a wrong password, counting it against the password limits', async () => {
    const world = makeWorld({ config: { loginFailuresPerIdentifierAndIp: 3 } });
    const alice = await signUp(world);
    const attempt = () =>
      world.accounts.sessions.reauthenticate(alice.caller, { password: 'not my password!' }, REQUEST);
    for (let i = 0; i < 3; i++) expect(errCode(await attempt())).toBe('INVALID_CURRENT_PASSWORD');
    expect(errCode(await attempt())).toBe('RATE_LIMITED');
    expect(
      errCode(await world.accounts.sessions.reauthenticate(alice.caller, { password: alice.password }, REQUEST)),
    ).toBe('RATE_LIMITED');
  });

  it('with a login code sent to one of the caller’s verified addresses', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    ok(await world.accounts.emails.verify({ email: alice.email, code: await lastCode(world, alice.email) }, REQUEST));
    world.clock.advance(PAST_THE_WINDOW);
    ok(await world.accounts.sessions.requestLoginCode({ email: alice.email, state: STATE }, REQUEST));
    const code = await lastCode(world, alice.email, 'login');
    const grant = ok<AccessTokenGrant>(
      await world.accounts.sessions.reauthenticate(alice.caller, { code, state: STATE }, REQUEST),
    );
    const claims = ok<{ amr?: string[] }>(await world.accounts.sessions.verifyStateless(grant.accessToken));
    expect(claims.amr).toEqual(['otp']);
    ok(await world.accounts.emails.add(alice.caller, 'me', { emails: ['second@example.com'] }, REQUEST));
  });

  it('refuses a code sent to an unverified address of the caller, or to someone else', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const bob = await signUp(world);
    ok(await world.accounts.emails.verify({ email: bob.email, code: await lastCode(world, bob.email) }, REQUEST));
    for (const email of [alice.email, bob.email]) {
      const state = `${STATE}-${email.length}-${email[4]}`;
      ok(await world.accounts.sessions.requestLoginCode({ email, state }, REQUEST));
      const code = await lastCode(world, email, 'login');
      expect(errCode(await world.accounts.sessions.reauthenticate(alice.caller, { code, state }, REQUEST))).toBe(
        'INVALID_CODE',
      );
    }
  });

  it('needs exactly one way: the password, or a code with its state', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    for (const input of [
      {},
      { password: alice.password, code: '123456', state: STATE },
      { code: '123456' },
      { state: STATE },
    ]) {
      expect(errCode(await world.accounts.sessions.reauthenticate(alice.caller, input, REQUEST))).toBe(
        'VALIDATION_FAILED',
      );
    }
  });

  it('needs a session: an API key alone, or nobody, cannot reauthenticate', async () => {
    const world = makeWorld();
    const system: Caller = { client: { id: 'cli_ops', organizationId: '', roles: ['system'] } };
    for (const caller of [system, {}]) {
      expect(
        errCode(await world.accounts.sessions.reauthenticate(caller, { password: STRONG_PASSWORD }, REQUEST)),
      ).toBe('UNAUTHENTICATED');
    }
  });

  it('refuses a session ended meanwhile', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    ok(await world.accounts.sessions.logout(alice.caller));
    expect(
      errCode(await world.accounts.sessions.reauthenticate(alice.caller, { password: alice.password }, REQUEST)),
    ).toBe('INVALID_TOKEN');
  });
});
