import type { Page } from '../../src/domain/pagination';
import type { LoginEmail } from '../../src/ports/entities';
import { errCode, lastCode, makeWorld, ok, REQUEST, signUp, signUpEmployee, signUpSysadmin } from '../support/setup';

const HOUR = 3_600_000;

describe('adding and removing login emails', () => {
  it('adds several unverified addresses and sends each a code', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const added = ok<LoginEmail[]>(
      await world.accounts.emails.add(alice.caller, alice.userId, { emails: ['Two@Example.com', 'three@example.com'] }),
    );
    expect(added.map((e) => [e.address, e.verifiedAt])).toEqual([
      ['two@example.com', null],
      ['three@example.com', null],
    ]);
    expect(await lastCode(world, 'two@example.com')).toMatch(/^\d{6}$/);
    expect(await lastCode(world, 'three@example.com')).toMatch(/^\d{6}$/);
    expect(ok<Page<LoginEmail>>(await world.accounts.emails.list(alice.caller, alice.userId)).data).toHaveLength(3);
  });

  it('adds nothing when one address is taken, and names it', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const bob = await signUp(world);
    const result = await world.accounts.emails.add(alice.caller, alice.userId, {
      emails: ['free@example.com', bob.email],
    });
    expect(errCode(result)).toBe('EMAIL_TAKEN');
    expect((result.val as { details: unknown[] }).details).toEqual([
      { path: 'emails.1', message: 'is already in use' },
    ]);
    expect(await world.io.findLoginEmail('free@example.com')).toBeNull();
  });

  it("refuses to touch another user's emails", async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const bob = await signUp(world);
    const employee = await signUpEmployee(world);
    expect(errCode(await world.accounts.emails.add(bob.caller, alice.userId, { emails: ['x@example.com'] }))).toBe(
      'NOT_FOUND',
    );
    expect(errCode(await world.accounts.emails.list(bob.caller, alice.userId))).toBe('NOT_FOUND');
    expect(ok<Page<LoginEmail>>(await world.accounts.emails.list(employee.caller, alice.userId)).data).toHaveLength(1);
    expect(errCode(await world.accounts.emails.remove(employee.caller, alice.userId, { emails: [alice.email] }))).toBe(
      'FORBIDDEN',
    );
    const admin = await signUpSysadmin(world);
    ok(await world.accounts.emails.add(admin.caller, alice.userId, { emails: ['by-admin@example.com'] }));
  });

  it('never removes the last address', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    expect(errCode(await world.accounts.emails.remove(alice.caller, alice.userId, { emails: [alice.email] }))).toBe(
      'LAST_EMAIL',
    );
    ok(await world.accounts.emails.add(alice.caller, alice.userId, { emails: ['second@example.com'] }));
    expect(
      errCode(
        await world.accounts.emails.remove(alice.caller, alice.userId, { emails: [alice.email, 'second@example.com'] }),
      ),
    ).toBe('LAST_EMAIL');
    const remaining = ok<LoginEmail[]>(
      await world.accounts.emails.remove(alice.caller, alice.userId, { emails: [alice.email] }),
    );
    expect(remaining.map((e) => e.address)).toEqual(['second@example.com']);
  });

  it('refuses to remove addresses the user does not have', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    ok(await world.accounts.emails.add(alice.caller, alice.userId, { emails: ['second@example.com'] }));
    const result = await world.accounts.emails.remove(alice.caller, alice.userId, {
      emails: ['second@example.com', 'other@example.com'],
    });
    expect(errCode(result)).toBe('VALIDATION_FAILED');
    expect((result.val as { details: { path: string }[] }).details.map((d) => d.path)).toEqual(['emails.1']);
    expect(ok<Page<LoginEmail>>(await world.accounts.emails.list(alice.caller, alice.userId)).data).toHaveLength(2);
  });

  it('a removed address can no longer be verified with a code sent before', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    ok(await world.accounts.emails.add(alice.caller, alice.userId, { emails: ['second@example.com'] }));
    const code = await lastCode(world, 'second@example.com');
    ok(await world.accounts.emails.remove(alice.caller, alice.userId, { emails: ['second@example.com'] }));
    expect(errCode(await world.accounts.emails.verify({ email: 'second@example.com', code }))).toBe('INVALID_CODE');
  });

  it('validates the list', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const result = await world.accounts.emails.add(alice.caller, alice.userId, {
      emails: ['ok@example.com', 'bad', 7],
    } as never);
    expect((result.val as { details: { path: string }[] }).details.map((d) => d.path)).toEqual([
      'emails.1',
      'emails.2',
    ]);
    expect(errCode(await world.accounts.emails.add(alice.caller, alice.userId, { emails: [] }))).toBe(
      'VALIDATION_FAILED',
    );
  });
});

describe('verification', () => {
  it('verifies an address with the emailed code, once', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const code = await lastCode(world, alice.email);
    const verified = ok<LoginEmail>(await world.accounts.emails.verify({ email: alice.email, code }));
    expect(verified.verifiedAt).toEqual(world.clock.now());
    expect(errCode(await world.accounts.emails.verify({ email: alice.email, code }))).toBe('INVALID_CODE');
    expect(world.events.map((e) => e.type)).toContain('email.verified');
  });

  it('refuses a wrong code and a code for another address', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const bob = await signUp(world);
    const code = await lastCode(world, alice.email);
    if (code !== (await lastCode(world, bob.email))) {
      expect(errCode(await world.accounts.emails.verify({ email: bob.email, code }))).toBe('INVALID_CODE');
    }
    expect(
      errCode(
        await world.accounts.emails.verify({ email: alice.email, code: code === '123456' ? '654321' : '123456' }),
      ),
    ).toBe('INVALID_CODE');
  });

  it('expires verify-email codes after 24 hours', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const code = await lastCode(world, alice.email);
    world.clock.advance(24 * HOUR);
    expect(errCode(await world.accounts.emails.verify({ email: alice.email, code }))).toBe('INVALID_CODE');
  });

  it('kills a verify-email code at the 5th wrong attempt', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const code = await lastCode(world, alice.email);
    const wrong = code === '000000' ? '111111' : '000000';
    // From five places: one alone may not spend a code's last attempt (see below).
    for (let i = 0; i < 5; i++) {
      const from = { ip: `198.51.100.${i + 1}`, userAgent: null };
      expect(errCode(await world.accounts.emails.verify({ email: alice.email, code: wrong }, from))).toBe(
        'INVALID_CODE',
      );
    }
    expect(errCode(await world.accounts.emails.verify({ email: alice.email, code }, REQUEST))).toBe('INVALID_CODE');
  });

  it('lets one IP spend no more than 4 attempts of an address’s code, so the owner’s right code still works', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const code = await lastCode(world, alice.email);
    const wrong = code === '000000' ? '111111' : '000000';
    const attacker = { ip: '192.0.2.66', userAgent: null };
    for (let i = 0; i < 4; i++) {
      expect(errCode(await world.accounts.emails.verify({ email: alice.email, code: wrong }, attacker))).toBe(
        'INVALID_CODE',
      );
    }
    expect(errCode(await world.accounts.emails.verify({ email: alice.email, code: wrong }, attacker))).toBe(
      'RATE_LIMITED',
    );
    expect(errCode(await world.accounts.emails.verify({ email: alice.email, code }, attacker))).toBe('RATE_LIMITED');
    ok(await world.accounts.emails.verify({ email: alice.email, code }, REQUEST));
  });
});

describe('resending verification', () => {
  it('answers the same for unknown, verified and unverified addresses, sending only to the last', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const bob = await signUp(world);
    ok(await world.accounts.emails.verify({ email: bob.email, code: await lastCode(world, bob.email) }));
    const before = world.emailer.sent.length;
    const unknown = await world.accounts.emails.resendVerification({ email: 'ghost@example.com' });
    const verified = await world.accounts.emails.resendVerification({ email: bob.email });
    expect(world.emailer.sent).toHaveLength(before);
    const pending = await world.accounts.emails.resendVerification({ email: alice.email });
    expect([unknown, verified, pending]).toEqual([pending, pending, pending]);
    expect(world.emailer.sent).toHaveLength(before + 1);
  });

  it('invalidates the earlier code and stops after 3 resends in 15 minutes', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const first = await lastCode(world, alice.email); // the registration's, which counts against no send limit
    ok(await world.accounts.emails.resendVerification({ email: alice.email }, REQUEST));
    const second = await lastCode(world, alice.email);
    ok(await world.accounts.emails.resendVerification({ email: alice.email }, REQUEST));
    ok(await world.accounts.emails.resendVerification({ email: alice.email }, REQUEST));
    const third = await lastCode(world, alice.email);
    ok(await world.accounts.emails.resendVerification({ email: alice.email }, REQUEST));
    await world.accounts.settled();
    expect(world.emailer.sent.filter((m) => m.to === alice.email)).toHaveLength(4);
    if (first !== third)
      expect(errCode(await world.accounts.emails.verify({ email: alice.email, code: first }))).toBe('INVALID_CODE');
    if (second !== third)
      expect(errCode(await world.accounts.emails.verify({ email: alice.email, code: second }))).toBe('INVALID_CODE');
    ok(await world.accounts.emails.verify({ email: alice.email, code: third }));
  });

  it('keeps answering when the email cannot be delivered', async () => {
    const world = makeWorld();
    const alice = await signUp(world);
    const undelivered: string[] = [];
    // The transport's error may quote the message: neither it nor the code may reach the event.
    world.lib.sendCode = (message) => {
      undelivered.push(message.code);
      return Promise.reject(new Error(`smtp down while sending ${message.code}`));
    };
    ok(await world.accounts.emails.resendVerification({ email: alice.email }));
    await world.accounts.settled();
    const failed = world.events.filter((e) => e.type === 'email.delivery_failed');
    expect(failed).toEqual([expect.objectContaining({ address: alice.email, purpose: 'verify-email' })]);
    expect(undelivered).toHaveLength(1);
    expect(JSON.stringify(failed)).not.toContain(undelivered[0]);
  });
});

it('a user requests a login code for an added address only once it exists', async () => {
  const world = makeWorld();
  const alice = await signUp(world);
  ok(await world.accounts.emails.add(alice.caller, alice.userId, { emails: ['work@example.com'] }));
  ok(
    await world.accounts.sessions.requestLoginCode(
      { email: 'work@example.com', state: 'state-for-work-login' },
      REQUEST,
    ),
  );
  const code = await lastCode(world, 'work@example.com', 'login');
  ok(await world.accounts.sessions.loginWithCode({ code, state: 'state-for-work-login' }, REQUEST));
});
