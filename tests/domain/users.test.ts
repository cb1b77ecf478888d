import { DefaultLib, type DefaultLibOptions } from '../../src/adapters/lib';
import { MemoryIo } from '../../src/adapters/memory';
import type { PublicUser } from '../../src/ports/entities';
import type { PasswordContext, PasswordProblem } from '../../src/ports/lib';
import {
  errCode,
  failingIo,
  lastCode,
  makeWorld,
  ok,
  REQUEST,
  recordHashingInsideTransactions,
  STRONG_PASSWORD,
  signUp,
  signUpEmployee,
  signUpSysadmin,
} from '../support/setup';

describe('registration', () => {
  it('creates a user with one unverified email and emails it a verify-email code', async () => {
    const world = makeWorld();
    const user = ok<PublicUser>(
      await world.accounts.users.register(
        { name: 'Ada', email: '  Ada@Example.COM ', password: STRONG_PASSWORD },
        REQUEST,
      ),
    );
    expect(user.roles).toEqual(['user']);
    expect(user.hasPassword).toBe(true);
    expect(user.emails).toEqual([expect.objectContaining({ address: 'ada@example.com', verifiedAt: null })]);
    expect(world.emailer.sent).toHaveLength(1);
    expect(world.emailer.sent[0]).toMatchObject({ to: 'ada@example.com', kind: 'verify-email' });
    expect(await world.io.findUserById(user.id)).not.toBeNull();
  });

  it('never returns or emits the password hash', async () => {
    const world = makeWorld();
    const user = ok<PublicUser>(
      await world.accounts.users.register(
        { name: 'Ada', email: 'ada@example.com', password: STRONG_PASSWORD },
        REQUEST,
      ),
    );
    const stored = await world.io.findUserById(user.id);
    const hash = stored?.passwordHash ?? '';
    expect(hash).not.toBe('');
    expect(JSON.stringify(user)).not.toContain(hash);
    expect(JSON.stringify(user)).not.toContain('passwordHash');
    expect(JSON.stringify(world.events)).not.toContain(hash);
    expect(JSON.stringify(world.events)).not.toContain(STRONG_PASSWORD);
    expect(JSON.stringify(world.events)).not.toContain(world.emailer.sent[0].code);
  });

  it('refuses roles and reports every bad field at once', async () => {
    const world = makeWorld();
    const result = await world.accounts.users.register(
      { name: '', email: 'not-an-email', password: 42, roles: ['sysadmin'] } as never,
      REQUEST,
    );
    expect(errCode(result)).toBe('VALIDATION_FAILED');
    const paths = (result.val as { details: { path: string }[] }).details.map((d) => d.path).sort();
    expect(paths).toEqual(['email', 'name', 'password', 'roles']);
    expect(world.emailer.sent).toHaveLength(0);
  });

  it('allows passwordless users', async () => {
    const world = makeWorld();
    const user = ok<PublicUser>(
      await world.accounts.users.register({ name: 'No Pass', email: 'np@example.com' }, REQUEST),
    );
    expect(user.hasPassword).toBe(false);
  });

  it('refuses an address already in use, whatever its case', async () => {
    const world = makeWorld();
    await signUp(world, { email: 'taken@example.com' });
    const again = await world.accounts.users.register(
      { name: 'B', email: 'TAKEN@example.com', password: STRONG_PASSWORD },
      REQUEST,
    );
    expect(errCode(again)).toBe('EMAIL_TAKEN');
  });

  it('lets exactly one of 20 concurrent registrations of one address succeed', async () => {
    const world = makeWorld();
    const attempts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        world.accounts.users.register({ name: `R${i}`, email: 'race@example.com', password: STRONG_PASSWORD }, REQUEST),
      ),
    );
    expect(attempts.filter((r) => r.ok)).toHaveLength(1);
    expect(attempts.filter((r) => !r.ok).map(errCode)).toEqual(Array(19).fill('EMAIL_TAKEN'));
  });

  it.each([
    ['too short', 'short pass1'],
    ['one of the most common passwords', 'qwerty123456'],
    ['equal to the email', 'weak@example.com'],
    ['equal to the name', 'Alexander the Great'],
  ])('refuses a password %s', async (_label, password) => {
    const world = makeWorld();
    const result = await world.accounts.users.register(
      { name: 'Alexander the Great', email: 'weak@example.com', password },
      REQUEST,
    );
    expect(errCode(result)).toBe('WEAK_PASSWORD');
    expect(await world.io.findLoginEmail('weak@example.com')).toBeNull();
  });

  it('accepts a 100-character password and an 80-byte multibyte one without truncating them', async () => {
    const world = makeWorld();
    const long = 'a'.repeat(72) + 'b'.repeat(28);
    const multibyte = 'пароль'.repeat(6) + 'ключ'.repeat(1); // 80 bytes of UTF-8
    expect(Buffer.byteLength(multibyte)).toBe(80);
    for (const [email, password, sameFirst72Bytes] of [
      ['long@example.com', long, 'a'.repeat(72) + 'c'.repeat(28)],
      ['cyrillic@example.com', multibyte, 'пароль'.repeat(6) + 'ключи'.slice(0, 4).replace('ч', 'щ')],
    ]) {
      ok(await world.accounts.users.register({ name: 'Long', email, password }, REQUEST));
      ok(await world.accounts.sessions.loginWithPassword({ email, password }, REQUEST));
      expect(Buffer.from(sameFirst72Bytes).subarray(0, 72)).toEqual(Buffer.from(password).subarray(0, 72));
      expect(
        errCode(await world.accounts.sessions.loginWithPassword({ email, password: sameFirst72Bytes }, REQUEST)),
      ).toBe('INVALID_CREDENTIALS');
    }
  });

  it('limits registrations per IP once they pass validation', async () => {
    const world = makeWorld({ config: { registrationsPerIp: 2 } });
    await signUp(world);
    await signUp(world);
    const third = await world.accounts.users.register(
      { name: 'C', email: 'c@example.com', password: STRONG_PASSWORD },
      REQUEST,
    );
    expect(errCode(third)).toBe('RATE_LIMITED');
    expect((third.val as { retryAfterSeconds: number }).retryAfterSeconds).toBe(60 * 60);
    const elsewhere = await world.accounts.users.register(
      { name: 'C', email: 'c@example.com', password: STRONG_PASSWORD },
      { ip: '198.51.100.1', userAgent: null },
    );
    expect(elsewhere.ok).toBe(true);
  });

  it('lifts the per-IP registration limit exactly one hour after the window opened', async () => {
    const world = makeWorld({ config: { registrationsPerIp: 1 } });
    const register = (email: string) =>
      world.accounts.users.register({ name: 'W', email, password: STRONG_PASSWORD }, REQUEST);
    ok(await register('w1@example.com'));
    world.clock.advance(3_600_000 - 1000);
    const lastSecond = await register('w2@example.com');
    expect(errCode(lastSecond)).toBe('RATE_LIMITED');
    expect((lastSecond.val as { retryAfterSeconds: number }).retryAfterSeconds).toBe(1);
    world.clock.advance(1000);
    ok(await register('w2@example.com'));
  });

  it('does not count weak passwords against the per-IP quota, but counts probes of taken addresses', async () => {
    const world = makeWorld({ config: { registrationsPerIp: 2 } });
    const register = (email: string, password: string) =>
      world.accounts.users.register({ name: 'Q', email, password }, REQUEST);
    for (let i = 0; i < 3; i++) expect(errCode(await register(`q${i}@example.com`, 'short'))).toBe('WEAK_PASSWORD');
    ok(await register('first@example.com', STRONG_PASSWORD));
    expect(errCode(await register('first@example.com', STRONG_PASSWORD))).toBe('EMAIL_TAKEN');
    expect(errCode(await register('first@example.com', STRONG_PASSWORD))).toBe('RATE_LIMITED');
  });

  it('writes nothing when a step of the registration fails', async () => {
    const memory = new MemoryIo();
    const world = makeWorld({ io: failingIo(memory, 'insertVerificationCode') });
    await expect(
      world.accounts.users.register({ name: 'A', email: 'half@example.com', password: STRONG_PASSWORD }, REQUEST),
    ).rejects.toThrow('injected failure');
    expect(await memory.findLoginEmail('half@example.com')).toBeNull();
    expect(await memory.findUserByEmail('half@example.com')).toBeNull();
    expect(world.emailer.sent).toHaveLength(0);
  });

  it('hashes the password before opening the transaction, never inside it', async () => {
    const world = makeWorld();
    const hashedInsideTransaction = recordHashingInsideTransactions(world.io, world.lib);
    const user = await signUp(world);
    ok(
      await world.accounts.users.changePassword(user.caller, user.userId, {
        currentPassword: STRONG_PASSWORD,
        newPassword: 'another fine passphrase',
      }),
    );
    expect(hashedInsideTransaction).toEqual([false, false]);
  });

  it('keeps working when the event hook throws', async () => {
    const world = makeWorld({
      libOptions: {
        onEvent: () => {
          throw new Error('hook exploded');
        },
      },
    });
    const user = await signUp(world);
    expect(await world.io.findUserById(user.userId)).not.toBeNull();
    const rejecting = makeWorld({ libOptions: { onEvent: () => Promise.reject(new Error('async hook exploded')) } });
    await signUp(rejecting);
  });

  it('uses an overridden password rule from a Lib subclass', async () => {
    class NoDigitsLib extends DefaultLib {
      override checkPassword(password: string, context: PasswordContext): PasswordProblem[] {
        const problems = super.checkPassword(password, context);
        return /\d/.test(password)
          ? [...problems, { reason: 'has_digit', message: 'must not contain digits' }]
          : problems;
      }
    }
    const world = makeWorld({ makeLib: (options: DefaultLibOptions) => new NoDigitsLib(options) });
    const refused = await world.accounts.users.register(
      { name: 'D', email: 'd@example.com', password: 'a fine passphrase 7' },
      REQUEST,
    );
    expect(errCode(refused)).toBe('WEAK_PASSWORD');
    expect(JSON.stringify(refused.val)).toContain('must not contain digits');
    ok(
      await world.accounts.users.register(
        { name: 'D', email: 'd@example.com', password: 'a fine passphrase' },
        REQUEST,
      ),
    );
  });
});

describe('reading and updating users', () => {
  it('shows a user to themself, employees and sysadmins, and hides it from others', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const bob = await signUp(world);
    const employee = await signUpEmployee(world);
    const admin = await signUpSysadmin(world);
    expect(ok<PublicUser>(await world.accounts.users.get(alice.caller, alice.userId)).emails).toHaveLength(1);
    expect(errCode(await world.accounts.users.get(bob.caller, alice.userId))).toBe('NOT_FOUND');
    expect(errCode(await world.accounts.users.get({}, alice.userId))).toBe('UNAUTHENTICATED');
    expect(ok<PublicUser>(await world.accounts.users.get(employee.caller, alice.userId)).id).toBe(alice.userId);
    expect(ok<PublicUser>(await world.accounts.users.get(admin.caller, alice.userId)).id).toBe(alice.userId);
    expect(errCode(await world.accounts.users.get(admin.caller, 'usr_missing'))).toBe('NOT_FOUND');
  });

  it('lets a user rename themself, and not others (employees read but do not write)', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const employee = await signUpEmployee(world);
    expect(
      ok<PublicUser>(await world.accounts.users.update(alice.caller, alice.userId, { name: ' Alice B ' })).name,
    ).toBe('Alice B');
    expect(errCode(await world.accounts.users.update(employee.caller, alice.userId, { name: 'X' }))).toBe('FORBIDDEN');
    expect(errCode(await world.accounts.users.update(alice.caller, alice.userId, { name: '' }))).toBe(
      'VALIDATION_FAILED',
    );
  });
});

describe('password change', () => {
  it('requires the current password when one is set, or a recent login instead', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const change = (input: object) => world.accounts.users.changePassword(alice.caller, alice.userId, input as never);
    world.clock.advance(11 * 60_000);
    expect(errCode(await change({ newPassword: 'brand new passphrase' }))).toBe('REAUTHENTICATION_REQUIRED');
    expect(errCode(await change({ currentPassword: 'wrong wrong wrong', newPassword: 'brand new passphrase' }))).toBe(
      'INVALID_CURRENT_PASSWORD',
    );
    expect(errCode(await change({ currentPassword: STRONG_PASSWORD, newPassword: 'short' }))).toBe('WEAK_PASSWORD');
    expect(errCode(await change({ currentPassword: STRONG_PASSWORD, newPassword: alice.email }))).toBe('WEAK_PASSWORD');
    ok(await change({ currentPassword: STRONG_PASSWORD, newPassword: 'brand new passphrase' }));
    ok(
      await world.accounts.sessions.loginWithPassword(
        { email: alice.email, password: 'brand new passphrase' },
        REQUEST,
      ),
    );
    expect(
      errCode(
        await world.accounts.sessions.loginWithPassword({ email: alice.email, password: STRONG_PASSWORD }, REQUEST),
      ),
    ).toBe('INVALID_CREDENTIALS');
  });

  it("refuses a new password equal to the user's name", async () => {
    const world = makeWorld();
    const alice = await signUp(world, { name: 'Ada Augusta Lovelace' });
    const change = (newPassword: string) =>
      world.accounts.users.changePassword(alice.caller, alice.userId, {
        currentPassword: STRONG_PASSWORD,
        newPassword,
      });
    expect(errCode(await change('Ada Augusta Lovelace'))).toBe('WEAK_PASSWORD');
    expect(errCode(await change('ada augusta lovelace'))).toBe('WEAK_PASSWORD');
    ok(await change('Ada Augusta Lovelace, engine'));
  });

  it("revokes the user's other sessions but keeps the current one", async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const other = ok<{ accessToken: string }>(
      await world.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST),
    );
    ok(
      await world.accounts.users.changePassword(alice.caller, alice.userId, {
        currentPassword: alice.password,
        newPassword: 'brand new passphrase',
      }),
    );
    expect((await world.accounts.sessions.authenticate(alice.tokens.accessToken)).ok).toBe(true);
    expect(errCode(await world.accounts.sessions.authenticate(other.accessToken))).toBe('INVALID_TOKEN');
    expect(world.events.map((e) => e.type)).toContain('password.changed');
  });

  it('lets a passwordless user set a first password without a current one', async () => {
    const world = makeWorld();
    const user = ok<PublicUser>(await world.accounts.users.register({ name: 'NP', email: 'np@example.com' }, REQUEST));
    ok(
      await world.accounts.sessions.requestLoginCode(
        { email: 'np@example.com', state: 'state-state-state-1' },
        REQUEST,
      ),
    );
    const tokens = ok<{ accessToken: string }>(
      await world.accounts.sessions.loginWithCode(
        { code: await lastCode(world, 'np@example.com', 'login'), state: 'state-state-state-1' },
        REQUEST,
      ),
    );
    const caller = { user: ok<never>(await world.accounts.sessions.authenticate(tokens.accessToken)) };
    ok(await world.accounts.users.changePassword(caller, user.id, { newPassword: 'my first passphrase' }));
    ok(
      await world.accounts.sessions.loginWithPassword(
        { email: 'np@example.com', password: 'my first passphrase' },
        REQUEST,
      ),
    );
  });
});

describe('deletion, bans and roles', () => {
  it('deleting an account revokes its sessions and frees its addresses', async () => {
    const world = makeWorld();
    const alice = await signUp(world, { email: 'gone@example.com' });
    ok(await world.accounts.users.delete(alice.caller, alice.userId));
    expect(errCode(await world.accounts.sessions.authenticate(alice.tokens.accessToken))).toBe('INVALID_TOKEN');
    expect(errCode(await world.accounts.sessions.refresh({ refreshToken: alice.tokens.refreshToken }, REQUEST))).toBe(
      'INVALID_REFRESH_TOKEN',
    );
    expect(
      errCode(
        await world.accounts.sessions.loginWithPassword(
          { email: 'gone@example.com', password: alice.password },
          REQUEST,
        ),
      ),
    ).toBe('INVALID_CREDENTIALS');
    await signUp(world, { email: 'gone@example.com' });
  });

  it("reports the end of each of the deleted user's memberships to its organization", async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const bob = await signUp(world);
    const organizations = await Promise.all(
      ['One', 'Two'].map(async (name) =>
        ok<{ id: string }>(await world.accounts.organizations.create(alice.caller, { name })),
      ),
    );
    for (const { id } of organizations) {
      ok(await world.accounts.organizations.addMembership(alice.caller, id, { userId: bob.userId, role: 'member' }));
    }
    world.events.length = 0;
    ok(await world.accounts.users.delete(bob.caller, bob.userId));
    const removed = world.events.flatMap((event) =>
      event.type === 'membership.changed' ? [[event.organizationId, event.userId, event.change]] : [],
    );
    expect(removed.sort()).toEqual(organizations.map(({ id }) => [id, bob.userId, 'removed']).sort());
  });

  it('refuses to delete the only owner of an organization', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    ok(await world.accounts.organizations.create(alice.caller, { name: 'Acme' }));
    expect(errCode(await world.accounts.users.delete(alice.caller, alice.userId))).toBe('LAST_OWNER');
    expect((await world.accounts.sessions.authenticate(alice.tokens.accessToken)).ok).toBe(true);
  });

  it('only system callers ban; a ban revokes every session and blocks login', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const bob = await signUp(world);
    const admin = await signUpSysadmin(world);
    expect(errCode(await world.accounts.users.ban(bob.caller, alice.userId))).toBe('FORBIDDEN');
    ok(await world.accounts.users.ban(admin.caller, alice.userId));
    expect(errCode(await world.accounts.sessions.authenticate(alice.tokens.accessToken))).toBe('INVALID_TOKEN');
    expect(
      errCode(
        await world.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST),
      ),
    ).toBe('ACCOUNT_DISABLED');
    expect(
      errCode(
        await world.accounts.sessions.loginWithPassword({ email: alice.email, password: 'wrong password!!' }, REQUEST),
      ),
    ).toBe('INVALID_CREDENTIALS');
    ok(await world.accounts.users.unban(admin.caller, alice.userId));
    ok(await world.accounts.sessions.loginWithPassword({ email: alice.email, password: alice.password }, REQUEST));
  });

  it('only sysadmins grant roles; nobody grants themself one', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const admin = await signUpSysadmin(world);
    expect(errCode(await world.accounts.users.setRoles(alice.caller, alice.userId, { roles: ['sysadmin'] }))).toBe(
      'FORBIDDEN',
    );
    const promoted = ok<PublicUser>(
      await world.accounts.users.setRoles(admin.caller, alice.userId, { roles: ['employee', 'user'] }),
    );
    expect(promoted.roles).toEqual(['employee', 'user']);
    const caller = ok<{ roles: string[] }>(await world.accounts.sessions.authenticate(alice.tokens.accessToken));
    expect(caller.roles).toContain('employee');
    expect(
      errCode(
        await world.accounts.users.setRoles(
          { client: { id: 'cli_x', organizationId: 'org_x', roles: ['system'] } },
          alice.userId,
          { roles: ['root'] } as never,
        ),
      ),
    ).toBe('VALIDATION_FAILED');
  });
});

describe('text input', () => {
  it.each([
    'x<attacker@evil.io>',
    'root,attacker@evil.io',
    'grp:attacker@evil.io;',
    '"a"@evil.io',
    'a\u0001b@evil.io',
    'a\u200bb@evil.io',
    'a b@evil.io',
    '(comment)a@evil.io',
    'a@[192.0.2.1]',
    'a..b@evil.io',
    'a@evil..io',
    'a@-evil.io',
  ])('refuses %j, which a mailer would deliver to another address than the one stored', async (email) => {
    const world = makeWorld();
    const result = await world.accounts.users.register({ name: 'Mallory', email }, REQUEST);
    expect(errCode(result)).toBe('VALIDATION_FAILED');
    expect((result.val as { details: { path: string }[] }).details.map((d) => d.path)).toEqual(['email']);
  });

  it.each(["o'brien+tag@example.com", 'josé@exämple.de', '用户@例子.广告', 'a/b=c@mail.example.org'])(
    'accepts the dot-atom address %j',
    async (email) => {
      const world = makeWorld();
      ok(await world.accounts.users.register({ name: 'Someone', email }, REQUEST));
    },
  );

  it('refuses NUL in any field and control characters in names', async () => {
    const world = makeWorld();
    const result = await world.accounts.users.register(
      { name: 'Line\nbreak', email: 'nul\u0000@example.com', password: `${STRONG_PASSWORD}\u0000` },
      REQUEST,
    );
    expect((result.val as { details: { path: string }[] }).details.map((d) => d.path).sort()).toEqual([
      'email',
      'name',
      'password',
    ]);
  });

  it('refuses lone surrogates, which a database would silently turn into U+FFFD, and keeps real pairs', async () => {
    const world = makeWorld();
    const result = await world.accounts.users.register(
      { name: 'a\ud800b', email: 'x\udc00@example.com', password: `${STRONG_PASSWORD}\ud83d` },
      REQUEST,
    );
    expect(errCode(result)).toBe('VALIDATION_FAILED');
    expect((result.val as { details: { path: string }[] }).details.map((d) => d.path).sort()).toEqual([
      'email',
      'name',
      'password',
    ]);
    const emoji = ok<{ name: string }>(
      await world.accounts.users.register({ name: 'Ada \ud83d\ude80', email: 'emoji@example.com' }, REQUEST),
    );
    expect(emoji.name).toBe('Ada 🚀');
  });
});
