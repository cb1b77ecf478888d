import { makeWorld, REQUEST, STRONG_PASSWORD, signUp } from '../support/setup';

/** Refused logins in the event trail: one row each, except refusals by a limit (src/domain/login-events.ts). */
describe('refused logins in the event trail', () => {
  it('writes each wrong password, and a limit’s refusals once per IP and window however many come', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const attempts = 40;
    for (let index = 0; index < attempts; index++) {
      await world.accounts.sessions.loginWithPassword(
        { email: alice.email, password: `wrong guess ${index}!!` },
        REQUEST,
      );
    }
    const failures = (await world.io.listEvents({ types: ['login.failed'], limit: 200 })).map((event) => event.payload);
    const wrong = failures.filter((payload) => payload.reason === 'invalid_credentials');
    const limited = failures.filter((payload) => payload.reason === 'rate_limited');
    // 10 wrong passwords per account and IP pass the limit; the other 30 are refused by it.
    expect(wrong).toHaveLength(10);
    expect(limited).toHaveLength(1);
    // The hook still hears about the first refusal by the limit only, like the trail.
    expect(world.events.filter((event) => event.type === 'login.failed')).toHaveLength(11);
    expect(JSON.stringify(failures)).not.toContain('wrong guess');

    // Another IP gets its own row; the next window writes one again.
    const elsewhere = { ...REQUEST, ip: '198.51.100.9' };
    for (let index = 0; index < 3; index++) {
      await world.accounts.sessions.loginWithPassword({ email: alice.email, password: 'still wrong!!!' }, elsewhere);
    }
    world.clock.advance(15 * 60_000 + 1);
    for (let index = 0; index < 12; index++) {
      await world.accounts.sessions.loginWithPassword({ email: alice.email, password: 'still wrong!!!' }, REQUEST);
    }
    const after = await world.io.listEvents({ types: ['login.failed'], limit: 200 });
    expect(after.filter((event) => event.payload.reason === 'rate_limited')).toHaveLength(2);
  });

  it('writes the refusals a right password earns (unverified address, banned account) once per IP and window (found by a review)', async () => {
    const world = makeWorld({ config: { requireVerifiedEmail: true } });
    const unverified = await world.accounts.users.register(
      { name: 'Una', email: 'una@example.com', password: STRONG_PASSWORD },
      REQUEST,
    );
    expect(unverified.ok).toBe(true);
    for (let index = 0; index < 30; index++) {
      await world.accounts.sessions.loginWithPassword({ email: 'una@example.com', password: STRONG_PASSWORD }, REQUEST);
    }
    const refusals = async (reason: string) =>
      (await world.io.listEvents({ types: ['login.failed'], limit: 200 })).filter(
        (event) => event.payload.reason === reason,
      );
    expect(await refusals('email_not_verified')).toHaveLength(1);

    const open = makeWorld();
    const banned = await signUp(open);
    const system = { client: { id: 'cli_ops', organizationId: '', roles: ['system' as const] } };
    expect((await open.accounts.users.ban(system, banned.userId)).ok).toBe(true);
    for (let index = 0; index < 30; index++) {
      await open.accounts.sessions.loginWithPassword({ email: banned.email, password: banned.password }, REQUEST);
    }
    const bannedRows = (await open.io.listEvents({ types: ['login.failed'], limit: 200 })).filter(
      (event) => event.payload.reason === 'banned',
    );
    expect(bannedRows).toHaveLength(1);
  });
});
