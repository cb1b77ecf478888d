import { createHandlers } from '../../src/handlers';
import { call, dataOf } from '../handlers/helpers';
import { lastCode, makeWorld, ok, REQUEST, signUp } from '../support/setup';

/** What a user's own trail tells about other people (found by a review). */
describe('a user’s trail never shows the address of someone else', () => {
  it('email.released (proven_elsewhere) in the claimant’s trail hides the owner’s code-login IP', async () => {
    const world = makeWorld();
    const handlers = createHandlers(world.accounts);
    const attackerIp = '198.51.100.1';
    const victimIp = '192.0.2.200';
    // Attacker: an account with a verified address of their own and the victim's address, unverified.
    const attacker = await signUp(world, { email: 'attacker@evil.example' });
    const verify = await lastCode(world, 'attacker@evil.example');
    ok(await world.accounts.emails.verify({ email: 'attacker@evil.example', code: verify }, REQUEST));
    const added = await call(handlers, 'POST', '/users/me/login-emails', {
      json: { emails: ['victim@example.com'] },
      token: attacker.tokens.accessToken,
      remoteAddress: attackerIp,
    });
    expect(added.status).toBe(201);

    // Victim: asks for a login code to their address and uses it, from their own IP.
    const state = 'victim-state-0123456789';
    const asked = await call(handlers, 'POST', '/authn/email', {
      json: { email: 'victim@example.com', state },
      remoteAddress: victimIp,
    });
    expect(asked.status).toBe(202);
    const code = await lastCode(world, 'victim@example.com', 'login');
    const used = await call(handlers, 'POST', '/authn/code', { json: { code, state }, remoteAddress: victimIp });
    expect(used.status).toBe(409); // ADDRESS_RELEASED (or whatever status it maps to)

    // The attacker reads their own trail.
    const trail = await call(handlers, 'GET', '/users/me/events', {
      token: attacker.tokens.accessToken,
      remoteAddress: attackerIp,
    });
    expect(trail.status).toBe(200);
    const released = dataOf<Array<{ type: string; actor: { ip: string | null } }>>(trail).find(
      (event) => event.type === 'email.released',
    );
    expect(released).toBeDefined();
    expect(released?.actor.ip).toBeNull();
    expect(JSON.stringify(dataOf(trail))).not.toContain(victimIp);
    // The attacker's own requests keep their address.
    expect(
      dataOf<Array<{ type: string; actor: { ip: string | null } }>>(trail).some(
        (event) => event.actor.ip === attackerIp,
      ),
    ).toBe(true);
  });
});
