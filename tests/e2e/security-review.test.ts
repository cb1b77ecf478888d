import { ROUTE_DEFINITIONS } from '../../src/handlers';
import type { Io } from '../../src/ports/io';
import { DEFAULT_IP, type HttpWorld, startHttpWorld, type WireReply } from '../support/http-world';
import { lastCode, ok, REQUEST, STRONG_PASSWORD, signUp, signUpSysadmin } from '../support/setup';

/**
 * The independent security review's findings (issue "Security review findings"), each replayed over
 * HTTP the way the reviewer attacked: a real socket to the handlers, attacker and victim at
 * different addresses (`X-Forwarded-For` through a trusted proxy). Every test here failed on the
 * code the review attacked. The races (findings 3 and 9) run on every SQL dialect in
 * tests/adapters/sql/security-races.test.ts; finding 8 (codes under a server-held key) is in
 * tests/adapters/sql/code-hmac.test.ts; finding 13 (timing) is a benchmark case (`npm run bench`).
 */

const ATTACKER_IP = '192.0.2.66';
const VICTIM_IP = '198.51.100.77';
const PASSWORD = STRONG_PASSWORD;

let world: HttpWorld;
afterEach(async () => {
  await world?.close();
});

function expectError(reply: WireReply, status: number, code: string): void {
  expect({ status: reply.status, code: reply.body?.error?.code }).toEqual({ status, code });
}

function newState(tag: string): string {
  return `${tag}-state-${Math.random().toString(36).slice(2)}`.padEnd(24, 'x');
}

async function register(email: string, password: string | undefined = PASSWORD, ip = DEFAULT_IP): Promise<string> {
  const reply = await world.send('POST', '/users', { json: { name: 'Someone', email, password }, ip });
  expect(reply.status).toBe(201);
  return reply.body.data.id;
}

async function passwordLogin(email: string, password: string, ip = DEFAULT_IP): Promise<WireReply> {
  return world.send('POST', '/authn/password', { json: { email, password }, ip });
}

async function codeLogin(email: string, ip: string, state = newState('login')): Promise<WireReply> {
  expect((await world.send('POST', '/authn/email', { json: { email, state }, ip })).status).toBe(202);
  const code = await lastCode(world, email, 'login');
  return world.send('POST', '/authn/code', { json: { code, state }, ip });
}

/** A sysadmin's organization holding a `system` client, with `memberId` made admin (or owner) of it. */
async function organizationWithSystemClient(memberId: string, role: 'admin' | 'owner') {
  const root = await signUpSysadmin(world);
  const organization = ok<{ id: string }>(await world.accounts.organizations.create(root.caller, { name: 'Ops' }));
  const system = ok<{ client: { id: string }; key: string }>(
    await world.accounts.clients.create(root.caller, organization.id, { name: 'bootstrap' }, { roles: ['system'] }),
  );
  ok(await world.accounts.organizations.addMembership(root.caller, organization.id, { userId: memberId, role }));
  return { root, organizationId: organization.id, systemClientId: system.client.id };
}

describe('finding 1: an organization admin obtains a system key', () => {
  it('refuses an organization admin every way of managing a system client, and its owner deleting the organization', async () => {
    world = await startHttpWorld();
    const mallory = await signUp(world);
    const { root, organizationId, systemClientId } = await organizationWithSystemClient(mallory.userId, 'admin');
    const token = mallory.tokens.accessToken;

    expectError(await world.send('POST', `/clients/${systemClientId}/rotate-key`, { token }), 403, 'FORBIDDEN');
    expectError(
      await world.send('PATCH', `/clients/${systemClientId}`, { token, json: { name: 'x' } }),
      403,
      'FORBIDDEN',
    );
    const restriction = { restrictions: [{ type: 'ip', value: '192.0.2.0/24' }] };
    expectError(
      await world.send('POST', `/clients/${systemClientId}/access-restrictions`, { token, json: restriction }),
      403,
      'FORBIDDEN',
    );
    expectError(
      await world.send('DELETE', `/clients/${systemClientId}/access-restrictions`, { token, json: { ids: ['res_1'] } }),
      403,
      'FORBIDDEN',
    );
    expectError(await world.send('DELETE', `/clients/${systemClientId}`, { token }), 403, 'FORBIDDEN');

    // Made owner, Mallory still cannot take the system client away with its organization.
    const membership = (await world.accounts.organizations.listMemberships(root.caller, organizationId)).unwrap();
    const mine = membership.data.find((m) => m.userId === mallory.userId)!;
    ok(await world.accounts.organizations.changeMembershipRole(root.caller, mine.id, { role: 'owner' }));
    expectError(await world.send('DELETE', `/organizations/${organizationId}`, { token }), 403, 'FORBIDDEN');

    // What a system client is for stays possible for those who hold at least as much.
    const rotated = await world.send('POST', `/clients/${systemClientId}/rotate-key`, {
      token: root.tokens.accessToken,
    });
    expect(rotated.status).toBe(200);
    expect((await world.send('GET', `/clients/${systemClientId}`, { apiKey: rotated.body.data.key })).status).toBe(200);
  });

  it('still lets organization admins manage the external and internal clients of their organization', async () => {
    world = await startHttpWorld();
    const admin = await signUp(world);
    const { root, organizationId } = await organizationWithSystemClient(admin.userId, 'admin');
    const internal = ok<{ client: { id: string } }>(
      await world.accounts.clients.create(root.caller, organizationId, { name: 'billing' }, { roles: ['internal'] }),
    );
    const token = admin.tokens.accessToken;
    const created = await world.send('POST', `/organizations/${organizationId}/clients`, {
      token,
      json: { name: 'app' },
    });
    expect(created.status).toBe(201);
    expect(created.body.data.client.roles).toEqual(['external']);
    expect((await world.send('POST', `/clients/${created.body.data.client.id}/rotate-key`, { token })).status).toBe(
      200,
    );
    expect((await world.send('POST', `/clients/${internal.client.id}/rotate-key`, { token })).status).toBe(200);
  });

  it('gives internal keys a member’s reading of their own organization, and external keys only themselves', async () => {
    world = await startHttpWorld();
    const admin = await signUp(world);
    const { root, organizationId } = await organizationWithSystemClient(admin.userId, 'admin');
    const other = ok<{ id: string }>(await world.accounts.organizations.create(root.caller, { name: 'Elsewhere' }));
    const internal = ok<{ key: string }>(
      await world.accounts.clients.create(root.caller, organizationId, { name: 'svc' }, { roles: ['internal'] }),
    );
    const external = ok<{ key: string }>(
      await world.accounts.clients.create(root.caller, organizationId, { name: 'app' }),
    );

    expect((await world.send('GET', `/organizations/${organizationId}`, { apiKey: internal.key })).status).toBe(200);
    expect(
      (await world.send('GET', `/organizations/${organizationId}/memberships`, { apiKey: internal.key })).status,
    ).toBe(200);
    expectError(await world.send('GET', `/organizations/${other.id}`, { apiKey: internal.key }), 404, 'NOT_FOUND');
    expectError(
      await world.send('PATCH', `/organizations/${organizationId}`, { apiKey: internal.key, json: { name: 'x' } }),
      403,
      'FORBIDDEN',
    );
    expectError(
      await world.send('GET', `/organizations/${organizationId}`, { apiKey: external.key }),
      404,
      'NOT_FOUND',
    );
  });
});

describe('finding 2: one /authn/code request tests a guess against every account’s code', () => {
  it('compares one guess against one code, however many victims were sent codes under its state', async () => {
    world = await startHttpWorld();
    const state = newState('spray');
    for (let victim = 0; victim < 15; victim++) {
      const email = `victim${victim}@example.com`;
      await register(email);
      expect((await world.send('POST', '/authn/email', { json: { email, state }, ip: ATTACKER_IP })).status).toBe(202);
    }
    const compare = jest.spyOn(world.lib, 'safeEqual');
    const guess = await world.send('POST', '/authn/code', { json: { code: '000000', state }, ip: ATTACKER_IP });
    expect(guess.status).toBe(401);
    expect(compare.mock.calls.length).toBeLessThanOrEqual(1);
    // Each victim's own code, requested later under their own state, has all its attempts.
    const victim = await codeLogin('victim3@example.com', VICTIM_IP);
    expect(victim.status).toBe(200);
  });

  it('bounds the wrong code comparisons one IP makes per window, code logins and verifications together', async () => {
    world = await startHttpWorld();
    for (let guess = 0; guess < 60; guess++) {
      const state = newState(`g${guess}`);
      expect(
        (await world.send('POST', '/authn/code', { json: { code: '123456', state }, ip: ATTACKER_IP })).status,
      ).toBe(401);
    }
    for (let guess = 0; guess < 40; guess++) {
      const json = { email: `someone${guess % 30}@example.com`, code: '123456' };
      expect((await world.send('POST', '/emails/verify', { json, ip: ATTACKER_IP })).status).toBe(400);
    }
    const past = await world.send('POST', '/authn/code', {
      json: { code: '123456', state: newState('x') },
      ip: ATTACKER_IP,
    });
    expectError(past, 429, 'RATE_LIMITED');
    expect(Number(past.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another address is not affected.
    const elsewhere = await world.send('POST', '/authn/code', {
      json: { code: '123456', state: newState('y') },
      ip: VICTIM_IP,
    });
    expect(elsewhere.status).toBe(401);
  });

  it('counts verification resends against the same per-IP request budget as login-code requests', async () => {
    world = await startHttpWorld();
    for (let request = 0; request < 50; request++) {
      const json = { email: `target${request}@example.com`, state: newState('r') };
      expect((await world.send('POST', '/authn/email', { json, ip: ATTACKER_IP })).status).toBe(202);
      const resend = { email: `other${request}@example.com` };
      expect((await world.send('POST', '/emails/resend-verification', { json: resend, ip: ATTACKER_IP })).status).toBe(
        202,
      );
    }
    const past = await world.send('POST', '/emails/resend-verification', {
      json: { email: 'one-more@example.com' },
      ip: ATTACKER_IP,
    });
    expectError(past, 429, 'RATE_LIMITED');
  });

  it('codes requested for an address nobody holds yet never keep its registration from emailing a code', async () => {
    world = await startHttpWorld();
    for (let from = 0; from < 4; from++) {
      for (let request = 0; request < 3; request++) {
        const json = { email: 'future@example.com', state: newState(`pre${from}`) };
        expect((await world.send('POST', '/authn/email', { json, ip: `192.0.2.${from + 1}` })).status).toBe(202);
      }
    }
    await register('future@example.com', PASSWORD, VICTIM_IP);
    const code = await lastCode(world, 'future@example.com');
    const verified = await world.send('POST', '/emails/verify', {
      json: { email: 'future@example.com', code },
      ip: VICTIM_IP,
    });
    expect(verified.status).toBe(200);
  });

  it('limits POST /authn/email per IP', async () => {
    world = await startHttpWorld();
    for (let request = 0; request < 100; request++) {
      const json = { email: `target${request}@example.com`, state: newState('r') };
      expect((await world.send('POST', '/authn/email', { json, ip: ATTACKER_IP })).status).toBe(202);
    }
    const past = await world.send('POST', '/authn/email', {
      json: { email: 'one-more@example.com', state: newState('r') },
      ip: ATTACKER_IP,
    });
    expectError(past, 429, 'RATE_LIMITED');
    expect(past.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('finding 4: account pre-hijacking through unverified addresses', () => {
  it('a code login by the address owner ends the password and sessions an earlier, unproven claimant set up', async () => {
    world = await startHttpWorld();
    const attackerPassword = 'the attacker chose this one';
    await register('victim@example.com', attackerPassword, ATTACKER_IP);
    const attacker = await passwordLogin('victim@example.com', attackerPassword, ATTACKER_IP);
    expect(attacker.status).toBe(200);

    const victim = await codeLogin('victim@example.com', VICTIM_IP);
    expect(victim.status).toBe(200);

    const { accessToken, refreshToken } = attacker.body.data;
    expectError(await world.send('GET', '/users/me', { token: accessToken, ip: ATTACKER_IP }), 401, 'INVALID_TOKEN');
    expectError(
      await world.send('POST', '/authn/refresh', { json: { refreshToken }, ip: ATTACKER_IP }),
      401,
      'INVALID_REFRESH_TOKEN',
    );
    expectError(await passwordLogin('victim@example.com', attackerPassword, ATTACKER_IP), 401, 'INVALID_CREDENTIALS');
    const me = await world.send('GET', '/users/me', { token: victim.body.data.accessToken, ip: VICTIM_IP });
    expect(me.body.data).toMatchObject({ hasPassword: false, emails: [{ address: 'victim@example.com' }] });
    expect(me.body.data.emails[0].verifiedAt).not.toBeNull();
    expect(world.events.some((event) => event.type === 'account.claimed')).toBe(true);
  });

  it('a code login never lands in an account proven by another address: the unverified address is released', async () => {
    world = await startHttpWorld();
    await register('attacker@example.com', PASSWORD, ATTACKER_IP);
    ok(
      await world.accounts.emails.verify({
        email: 'attacker@example.com',
        code: await lastCode(world, 'attacker@example.com'),
      }),
    );
    const attacker = (await passwordLogin('attacker@example.com', PASSWORD, ATTACKER_IP)).body.data;
    const me = (await world.send('GET', '/users/me', { token: attacker.accessToken, ip: ATTACKER_IP })).body.data;
    const added = await world.send('POST', `/users/${me.id}/login-emails`, {
      token: attacker.accessToken,
      json: { emails: ['victim@example.com'] },
      ip: ATTACKER_IP,
    });
    expect(added.status).toBe(201);

    expectError(await codeLogin('victim@example.com', VICTIM_IP), 409, 'ADDRESS_RELEASED');
    const emails = await world.send('GET', `/users/${me.id}/login-emails`, {
      token: attacker.accessToken,
      ip: ATTACKER_IP,
    });
    expect(emails.body.data.map((email: { address: string }) => email.address)).toEqual(['attacker@example.com']);
    // The owner can now register their own address.
    await register('victim@example.com', PASSWORD, VICTIM_IP);
  });

  it('an address someone added and left unverified for 24 hours can be registered by its owner', async () => {
    world = await startHttpWorld();
    const squatter = await signUp(world, { email: 'squatter@example.com' });
    const added = await world.send('POST', `/users/${squatter.userId}/login-emails`, {
      token: squatter.tokens.accessToken,
      json: { emails: ['victim@example.com'] },
      ip: ATTACKER_IP,
    });
    expect(added.status).toBe(201);
    const early = await world.send('POST', '/users', {
      json: { name: 'Victim', email: 'victim@example.com', password: PASSWORD },
      ip: VICTIM_IP,
    });
    expectError(early, 409, 'EMAIL_TAKEN');

    world.clock.advance(24 * 3_600_000);
    const victimId = await register('victim@example.com', PASSWORD, VICTIM_IP);
    expect((await passwordLogin('victim@example.com', PASSWORD, VICTIM_IP)).status).toBe(200);
    expect((await world.io.findUserByEmail('victim@example.com'))?.user.id).toBe(victimId);
    expect(world.events).toContainEqual(
      expect.objectContaining({ type: 'email.released', userId: squatter.userId, reason: 'registered_elsewhere' }),
    );
    // The squatter keeps their own address and sessions (the access token has expired by now; the session has not).
    const refreshed = await world.send('POST', '/authn/refresh', {
      json: { refreshToken: squatter.tokens.refreshToken },
    });
    expect(refreshed.status).toBe(200);
  });

  it('an account whose only address is unverified is never orphaned by a registration: its owner claims it by code', async () => {
    world = await startHttpWorld();
    const holder = 'the holder chose this one';
    await register('only@example.com', holder, ATTACKER_IP);
    const session = (await passwordLogin('only@example.com', holder, ATTACKER_IP)).body.data;
    world.clock.advance(25 * 3_600_000);
    expectError(
      await world.send('POST', '/users', {
        json: { name: 'X', email: 'only@example.com', password: PASSWORD },
        ip: VICTIM_IP,
      }),
      409,
      'EMAIL_TAKEN',
    );
    const refreshed = await world.send('POST', '/authn/refresh', {
      json: { refreshToken: session.refreshToken },
      ip: ATTACKER_IP,
    });
    expect(refreshed.status).toBe(200);
    expect((await codeLogin('only@example.com', VICTIM_IP)).status).toBe(200);
    expectError(
      await world.send('POST', '/authn/refresh', {
        json: { refreshToken: refreshed.body.data.refreshToken },
        ip: ATTACKER_IP,
      }),
      401,
      'INVALID_REFRESH_TOKEN',
    );
  });

  it('a claim also takes the claimant’s other unverified addresses, so they cannot verify one and log back in', async () => {
    world = await startHttpWorld();
    const attackerPassword = 'the attacker chose this one';
    const attackerId = await register('victim@example.com', attackerPassword, ATTACKER_IP);
    const attacker = (await passwordLogin('victim@example.com', attackerPassword, ATTACKER_IP)).body.data;
    const added = await world.send('POST', `/users/${attackerId}/login-emails`, {
      token: attacker.accessToken,
      json: { emails: ['mallory@attacker.test'] },
      ip: ATTACKER_IP,
    });
    expect(added.status).toBe(201);
    const pendingCode = await lastCode(world, 'mallory@attacker.test');

    const victim = await codeLogin('victim@example.com', VICTIM_IP);
    expect(victim.status).toBe(200);
    const emails = await world.send('GET', '/users/me/login-emails', {
      token: victim.body.data.accessToken,
      ip: VICTIM_IP,
    });
    expect(emails.body.data.map((email: { address: string }) => email.address)).toEqual(['victim@example.com']);
    expect(world.events).toContainEqual(
      expect.objectContaining({ type: 'email.released', address: 'mallory@attacker.test', reason: 'proven_elsewhere' }),
    );

    // The code sent to the attacker's address before the claim verifies nothing now,
    expectError(
      await world.send('POST', '/emails/verify', {
        json: { email: 'mallory@attacker.test', code: pendingCode },
        ip: ATTACKER_IP,
      }),
      400,
      'INVALID_CODE',
    );
    // and a login code is no longer even sent to it: it belongs to no account.
    const sent = world.emailer.sent.length;
    const json = { email: 'mallory@attacker.test', state: newState('back') };
    expect((await world.send('POST', '/authn/email', { json, ip: ATTACKER_IP })).status).toBe(202);
    await world.accounts.settled();
    expect(world.emailer.sent.length).toBe(sent);
    expect((await world.send('GET', '/users/me', { token: victim.body.data.accessToken, ip: VICTIM_IP })).status).toBe(
      200,
    );
  });

  it('a user holds at most 10 unverified addresses', async () => {
    world = await startHttpWorld();
    const hoarder = await signUp(world);
    const addresses = (from: number) => Array.from({ length: 5 }, (_, i) => `hoard${from + i}@example.com`);
    const add = (emails: string[]) =>
      world.send('POST', `/users/${hoarder.userId}/login-emails`, {
        token: hoarder.tokens.accessToken,
        json: { emails },
      });
    expect((await add(addresses(0))).status).toBe(201);
    expect((await add(addresses(5).slice(0, 4))).status).toBe(201); // 1 + 5 + 4 = 10 unverified
    expectError(await add(['one-too-many@example.com']), 409, 'TOO_MANY_UNVERIFIED_EMAILS');
  });
});

describe('finding 5: the current password can be guessed without limit', () => {
  it('limits wrong current passwords on POST /users/:id/password like password logins, with 429 and Retry-After', async () => {
    world = await startHttpWorld();
    const alice = await signUp(world);
    const change = (currentPassword: string, ip = ATTACKER_IP) =>
      world.send('POST', `/users/${alice.userId}/password`, {
        token: alice.tokens.accessToken,
        json: { currentPassword, newPassword: 'a brand new passphrase' },
        ip,
      });
    for (let guess = 0; guess < 10; guess++)
      expectError(await change(`wrong guess ${guess}`), 403, 'INVALID_CURRENT_PASSWORD');
    const limited = await change(alice.password);
    expectError(limited, 429, 'RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // The owner, elsewhere, still can.
    expect((await change(alice.password, VICTIM_IP)).status).toBe(204);
  });

  it('draws password logins through any address and the password change from one budget per account and IP', async () => {
    world = await startHttpWorld();
    const alice = await signUp(world);
    await world.io.insertLoginEmail({
      address: 'alias@example.com',
      userId: alice.userId,
      verifiedAt: null,
      createdAt: world.clock.now(),
    });
    for (let guess = 0; guess < 4; guess++) await passwordLogin(alice.email, `wrong guess ${guess}`, ATTACKER_IP);
    for (let guess = 0; guess < 3; guess++)
      await passwordLogin('alias@example.com', `wrong guess ${guess}`, ATTACKER_IP);
    const change = (currentPassword: string) =>
      world.send('POST', `/users/${alice.userId}/password`, {
        token: alice.tokens.accessToken,
        json: { currentPassword, newPassword: 'a brand new passphrase' },
        ip: ATTACKER_IP,
      });
    for (let guess = 0; guess < 3; guess++)
      expectError(await change(`wrong guess ${guess}`), 403, 'INVALID_CURRENT_PASSWORD');
    expectError(await change(alice.password), 429, 'RATE_LIMITED');
    expectError(await passwordLogin('alias@example.com', alice.password, ATTACKER_IP), 429, 'RATE_LIMITED');
  });
});

describe('finding 6: write amplification on /authn/code', () => {
  it('costs a bounded number of storage operations per guess, whatever was parked under the state', async () => {
    world = await startHttpWorld();
    const state = newState('parked');
    for (let parked = 0; parked < 60; parked++) {
      const email = await storeUser(world.io, `parked${parked}`);
      expect((await world.send('POST', '/authn/email', { json: { email, state }, ip: ATTACKER_IP })).status).toBe(202);
    }
    const calls = countIoCalls(world);
    expect((await world.send('POST', '/authn/code', { json: { code: '000000', state }, ip: ATTACKER_IP })).status).toBe(
      401,
    );
    expect(calls.total).toBeLessThanOrEqual(3);
  });
});

describe('finding 7: one account can open unlimited sessions', () => {
  it('refuses the 101st successful login of one account within the hour, and keeps at most 100 live sessions', async () => {
    world = await startHttpWorld();
    const alice = await signUp(world); // one login already
    const outcomes: number[] = [];
    for (let login = 0; login < 119; login++) outcomes.push((await passwordLogin(alice.email, alice.password)).status);
    expect(outcomes.filter((status) => status === 200)).toHaveLength(99);
    expect(outcomes.filter((status) => status === 429)).toHaveLength(20);
    const live = await world.accounts.sessions.list(alice.caller, alice.userId, { limit: 200 });
    expect(live.unwrap().data.length).toBeLessThanOrEqual(100);
  });

  it('revokes the oldest session past the per-user cap, and says so', async () => {
    world = await startHttpWorld({ config: { maxSessionsPerUser: 3 } });
    const alice = await signUp(world);
    const later = [];
    for (let login = 0; login < 3; login++) {
      world.clock.advance(1000);
      later.push((await passwordLogin(alice.email, alice.password)).body.data);
    }
    expectError(await world.send('GET', '/users/me', { token: alice.tokens.accessToken }), 401, 'INVALID_TOKEN');
    for (const tokens of later)
      expect((await world.send('GET', '/users/me', { token: tokens.accessToken })).status).toBe(200);
    expect(world.events).toContainEqual(
      expect.objectContaining({ type: 'session.revoked', sessionId: alice.tokens.sessionId, reason: 'session_limit' }),
    );
  });
});

describe('finding 10: unthrottled enumeration through POST /users/:id/login-emails', () => {
  it('limits addresses added per user, probes of taken addresses included', async () => {
    world = await startHttpWorld();
    const prober = await signUp(world);
    const probe = (email: string) =>
      world.send('POST', `/users/${prober.userId}/login-emails`, {
        token: prober.tokens.accessToken,
        json: { emails: [email] },
        ip: ATTACKER_IP,
      });
    for (let attempt = 0; attempt < 20; attempt++) {
      expectError(await probe(await storeUser(world.io, `taken${attempt}`)), 409, 'EMAIL_TAKEN');
    }
    const limited = await probe('probe-more@example.com');
    expectError(limited, 429, 'RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('limits addresses added from one IP, whatever the number of accounts', async () => {
    world = await startHttpWorld();
    const replies: number[] = [];
    for (let account = 0; account < 6; account++) {
      const user = await signUp(world);
      for (let attempt = 0; attempt < 9; attempt++) {
        const json = { emails: [`spread${account}-${attempt}@example.com`] };
        const reply = await world.send('POST', `/users/${user.userId}/login-emails`, {
          token: user.tokens.accessToken,
          json,
          ip: ATTACKER_IP,
        });
        replies.push(reply.status);
      }
    }
    expect(replies.filter((status) => status === 201)).toHaveLength(50);
    expect(replies.filter((status) => status === 429)).toHaveLength(4);
  });
});

describe('finding 11: POST /emails/verify has no per-IP limit', () => {
  it('answers 429 once one IP made 100 wrong guesses, over any number of addresses', async () => {
    world = await startHttpWorld();
    for (let guess = 0; guess < 100; guess++) {
      const json = { email: `addr${guess % 30}@example.com`, code: String(100000 + guess) };
      expectError(await world.send('POST', '/emails/verify', { json, ip: ATTACKER_IP }), 400, 'INVALID_CODE');
    }
    const limited = await world.send('POST', '/emails/verify', {
      json: { email: 'addr0@example.com', code: '999999' },
      ip: ATTACKER_IP,
    });
    expectError(limited, 429, 'RATE_LIMITED');
  });
});

describe('finding 11 and 15: guesses from one IP cannot kill the owner’s verification code', () => {
  it('refuses a fifth wrong verify-email code from one IP, so the owner’s right code still verifies', async () => {
    world = await startHttpWorld();
    await register('victim@example.com', PASSWORD, VICTIM_IP);
    const code = await lastCode(world, 'victim@example.com');
    const wrong = code === '000000' ? '111111' : '000000';
    for (let guess = 0; guess < 4; guess++) {
      const json = { email: 'victim@example.com', code: wrong };
      expectError(await world.send('POST', '/emails/verify', { json, ip: ATTACKER_IP }), 400, 'INVALID_CODE');
    }
    const json = { email: 'victim@example.com', code: wrong };
    expectError(await world.send('POST', '/emails/verify', { json, ip: ATTACKER_IP }), 429, 'RATE_LIMITED');
    const verified = await world.send('POST', '/emails/verify', {
      json: { email: 'victim@example.com', code },
      ip: VICTIM_IP,
    });
    expect(verified.status).toBe(200);
  });
});

describe('finding 12: per-IP limits are keyed on the full IPv6 address', () => {
  it('counts every address of one /64 as one, and IPv4-mapped IPv6 as its IPv4 address', async () => {
    world = await startHttpWorld();
    for (let failure = 0; failure < 100; failure++) {
      const ip = `2001:db8:1:2:${failure.toString(16)}::${(failure + 1).toString(16)}`;
      const reply = await passwordLogin(`nobody${failure}@example.com`, 'not the password', ip);
      expectError(reply, 401, 'INVALID_CREDENTIALS');
    }
    expectError(
      await passwordLogin('another@example.com', 'x'.repeat(12), '2001:db8:1:2:ffff::1'),
      429,
      'RATE_LIMITED',
    );
    expect((await passwordLogin('another@example.com', 'x'.repeat(12), '2001:db8:1:3::1')).status).toBe(401);

    for (let failure = 0; failure < 100; failure++) {
      const ip = failure % 2 === 0 ? '203.0.113.9' : '::ffff:203.0.113.9';
      await passwordLogin(`mapped${failure}@example.com`, 'not the password', ip);
    }
    expectError(await passwordLogin('mapped@example.com', 'x'.repeat(12), '203.0.113.9'), 429, 'RATE_LIMITED');
  });
});

describe('finding 14: body fields named after Object.prototype members', () => {
  it('refuses constructor, toString, __proto__ and friends like any unknown field, on every route with a body', async () => {
    world = await startHttpWorld();
    const root = await signUpSysadmin(world);
    const organization = ok<{ id: string }>(await world.accounts.organizations.create(root.caller, { name: 'Acme' }));
    const client = ok<{ client: { id: string } }>(
      await world.accounts.clients.create(root.caller, organization.id, { name: 'c' }),
    );
    const memberships = (await world.accounts.organizations.listMemberships(root.caller, organization.id)).unwrap();
    const ids: Record<string, string> = {
      users: root.userId,
      organizations: organization.id,
      clients: client.client.id,
    };
    ids.memberships = memberships.data[0]!.id;
    ids.sessions = root.tokens.sessionId;
    const withBody = ROUTE_DEFINITIONS.filter((route) => route.body === 'json');
    expect(withBody.length).toBeGreaterThan(15);
    for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      for (const route of withBody) {
        const path = route.path.replace(/^\/(\w+)\/:id/, (_, area: string) => `/${area}/${ids[area]}`);
        const raw = `{"${key}": 1}`;
        const reply = await world.send(route.method, path, { raw, token: root.tokens.accessToken });
        const where = `${route.method} ${route.path} with ${key}`;
        expect({ where, status: reply.status, code: reply.body?.error?.code }).toEqual({
          where,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
        expect(reply.body.error.details).toContainEqual({ path: key, message: 'is not a known field' });
      }
    }
  });

  it('lists at most 50 problems, however many unknown keys a body has', async () => {
    world = await startHttpWorld();
    const raw = JSON.stringify(Object.fromEntries(Array.from({ length: 6000 }, (_, i) => [`k${i}`, i])));
    const reply = await world.send('POST', '/users', { raw });
    expectError(reply, 400, 'VALIDATION_FAILED');
    expect(reply.body.error.details.length).toBeLessThanOrEqual(51);
    expect(JSON.stringify(reply.body).length).toBeLessThan(10_000);
  });
});

describe('finding 15: an attacker with one IP can lock a victim out', () => {
  it('wrong passwords from one IP do not stop the victim logging in from another', async () => {
    world = await startHttpWorld();
    const alice = await signUp(world);
    for (let guess = 0; guess < 15; guess++) await passwordLogin(alice.email, `wrong password ${guess}`, ATTACKER_IP);
    expectError(await passwordLogin(alice.email, alice.password, ATTACKER_IP), 429, 'RATE_LIMITED');
    expect((await passwordLogin(alice.email, alice.password, VICTIM_IP)).status).toBe(200);
  });

  it('code requests from one IP neither use up the victim’s codes nor void the one the victim asked for', async () => {
    world = await startHttpWorld();
    const alice = await signUp(world);
    const victimState = newState('victim');
    expect(
      (await world.send('POST', '/authn/email', { json: { email: alice.email, state: victimState }, ip: VICTIM_IP }))
        .status,
    ).toBe(202);
    const victimCode = await lastCode(world, alice.email, 'login');
    for (let request = 0; request < 5; request++) {
      const json = { email: alice.email, state: newState(`attacker${request}`) };
      expect((await world.send('POST', '/authn/email', { json, ip: ATTACKER_IP })).status).toBe(202);
    }
    const loggedIn = await world.send('POST', '/authn/code', {
      json: { code: victimCode, state: victimState },
      ip: VICTIM_IP,
    });
    expect(loggedIn.status).toBe(200);
    // And a fresh code still reaches the victim after the attacker's requests.
    const sent = world.emailer.sent.length;
    expect((await codeLogin(alice.email, VICTIM_IP)).status).toBe(200);
    expect(world.emailer.sent.length).toBe(sent + 1);
  });
});

describe('also seen', () => {
  it('a deleted user’s pending login code does not log into whoever registers the address next', async () => {
    world = await startHttpWorld();
    const alice = await signUp(world);
    const state = newState('old');
    expect((await world.send('POST', '/authn/email', { json: { email: alice.email, state } })).status).toBe(202);
    const code = await lastCode(world, alice.email, 'login');
    expect((await world.send('DELETE', `/users/${alice.userId}`, { token: alice.tokens.accessToken })).status).toBe(
      204,
    );
    await register(alice.email, 'the new owner chose this');
    expectError(await world.send('POST', '/authn/code', { json: { code, state } }), 401, 'INVALID_CODE');
  });

  it('per-IP limits hold for requests whose address is unknown (one shared bucket)', async () => {
    world = await startHttpWorld({ config: { loginFailuresPerIp: 5 } });
    for (let failure = 0; failure < 5; failure++) {
      const result = await world.accounts.sessions.loginWithPassword(
        { email: `n${failure}@example.com`, password: 'not the password' },
        { ip: null, userAgent: null },
      );
      expect(result.err && result.val.code).toBe('INVALID_CREDENTIALS');
    }
    const limited = await world.accounts.sessions.loginWithPassword(
      { email: 'n9@example.com', password: 'not the password' },
      { ip: null, userAgent: null },
    );
    expect(limited.err && limited.val.code).toBe('RATE_LIMITED');
    // A known address has its own bucket.
    const known = await world.accounts.sessions.loginWithPassword(
      { email: 'n9@example.com', password: 'x'.repeat(12) },
      REQUEST,
    );
    expect(known.err && known.val.code).toBe('INVALID_CREDENTIALS');
  });
});

/** A user with one unverified address written straight to storage (no password work); returns the address. */
async function storeUser(io: Io, tag: string): Promise<string> {
  const now = new Date(Date.UTC(2030, 0, 1));
  const id = `usr_${tag.replace(/[^0-9A-Za-z]/g, '')}`;
  const user = { id, name: tag, passwordHash: null, roles: ['user' as const], createdAt: now, updatedAt: now };
  await io.insertUser({ ...user, deletedAt: null, bannedAt: null, credentialVersion: 0, fields: {} });
  const address = `${tag}@example.com`;
  await io.insertLoginEmail({ address, userId: id, verifiedAt: null, createdAt: now });
  return address;
}

/** Counts the `Io` calls made from now on, those inside transactions included (not `transaction` itself). */
function countIoCalls(world: HttpWorld): { total: number } {
  const counter = { total: 0 };
  const counted = (target: Io): Io =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        if (property === 'transaction') {
          return <T>(work: (tx: Io) => Promise<T>) => object.transaction((tx) => work(counted(tx)));
        }
        return (...args: unknown[]) => {
          counter.total += 1;
          return value.apply(object, args);
        };
      },
    });
  world.accounts.deps.io = counted(world.accounts.deps.io);
  return counter;
}
