import { type Api, expectData, expectError, expectPage, newState, PASSWORD, uniqueEmail } from './target';

/** `/users…` and `/emails…` (HTTP.md). */
export function describeUsersAndEmails(api: Api): void {
  describe('POST /users', () => {
    it('registers a user with an unverified, normalized email and sends it a code', async () => {
      const email = uniqueEmail('reg');
      const reply = await api.send('POST', '/users', {
        json: { name: ' Ada ', email: ` ${email.toUpperCase()} `, password: PASSWORD },
      });
      const user = expectData(reply, 201);
      expect(user).toMatchObject({ name: 'Ada', roles: ['user'], hasPassword: true, bannedAt: null });
      expect(user.id).toMatch(/^usr_/);
      expect(user.emails).toEqual([
        { address: email, userId: user.id, verifiedAt: null, createdAt: expect.any(String) },
      ]);
      expect(JSON.stringify(reply.body)).not.toMatch(/hash|\$2[aby]\$/i);
      expect(await api.lastCode(email)).toMatch(/^\d{6}$/);
    });

    it('registers a passwordless user, who logs in by code and may then set a first password', async () => {
      const email = uniqueEmail('nopw');
      const user = expectData(await api.send('POST', '/users', { json: { name: 'Bo', email } }), 201);
      expect(user.hasPassword).toBe(false);
      expectError(
        await api.send('POST', '/authn/password', { json: { email, password: PASSWORD } }),
        401,
        'INVALID_CREDENTIALS',
      );

      const state = newState();
      expect((await api.send('POST', '/authn/email', { json: { email, state } })).status).toBe(202);
      const code = await api.lastCode(email, 'login');
      const tokens = expectData(await api.send('POST', '/authn/code', { json: { code, state } }));
      // No current password to prove: there is none yet.
      const set = await api.send('POST', '/users/me/password', {
        token: tokens.accessToken,
        json: { newPassword: PASSWORD },
      });
      expect(set.status).toBe(204);
      expect(expectData(await api.send('GET', '/users/me', { token: tokens.accessToken })).hasPassword).toBe(true);
      expect((await api.login(email, PASSWORD)).sessionId).toEqual(expect.any(String));
    });

    it('refuses roles, unknown fields and bad values, naming each field', async () => {
      const reply = await api.send('POST', '/users', { json: { name: '', email: 'nope', roles: ['sysadmin'] } });
      expectError(reply, 400, 'VALIDATION_FAILED');
      expect(reply.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['email', 'name', 'roles']);
    });

    it('refuses a weak password with WEAK_PASSWORD', async () => {
      const reply = await api.send('POST', '/users', {
        json: { name: 'Cy', email: uniqueEmail('weak'), password: 'password123' },
      });
      expectError(reply, 400, 'WEAK_PASSWORD');
      expect(reply.body.error.details[0].path).toBe('password');
    });

    it('answers 409 EMAIL_TAKEN for an address in use', async () => {
      const { email } = await api.signUp('taken');
      expectError(await api.send('POST', '/users', { json: { name: 'Dup', email } }), 409, 'EMAIL_TAKEN');
    });
  });

  describe('GET and PATCH /users/:id', () => {
    it('lets a user read and rename themself as `me` or by id', async () => {
      const user = await api.signUp('self');
      const read = expectData(await api.send('GET', '/users/me', { token: user.token }));
      expect(read).toMatchObject({ id: user.id, emails: [{ address: user.email, verifiedAt: expect.any(String) }] });
      const renamed = expectData(
        await api.send('PATCH', `/users/${user.id}`, { token: user.token, json: { name: 'New' } }),
      );
      expect(renamed.name).toBe('New');
    });

    it('hides other users (404), asks anonymous callers to log in (401) and lets a sysadmin read anyone', async () => {
      const [user, other] = [await api.signUp('a'), await api.signUp('b')];
      expectError(await api.send('GET', `/users/${other.id}`, { token: user.token }), 404, 'NOT_FOUND');
      expectError(
        await api.send('PATCH', `/users/${other.id}`, { token: user.token, json: { name: 'x' } }),
        404,
        'NOT_FOUND',
      );
      expectError(await api.send('GET', `/users/${other.id}`), 401, 'UNAUTHENTICATED');
      expectError(await api.send('GET', '/users/me'), 401, 'UNAUTHENTICATED');
      expectData(await api.send('GET', `/users/${other.id}`, { token: await api.sysadmin() }));
    });

    it('refuses an empty name and unknown fields on update', async () => {
      const user = await api.signUp('patch');
      const reply = await api.send('PATCH', '/users/me', {
        token: user.token,
        json: { name: ' ', email: 'x@example.com' },
      });
      expectError(reply, 400, 'VALIDATION_FAILED');
    });
  });

  describe('POST /users/:id/password', () => {
    it('checks the current password when given, then revokes the other sessions but not this one', async () => {
      const user = await api.signUp('pw');
      const other = await api.login(user.email, PASSWORD);
      const newPassword = 'a much better passphrase';
      expectError(
        await api.send('POST', '/users/me/password', {
          token: user.token,
          json: { currentPassword: 'wrong one here', newPassword },
        }),
        403,
        'INVALID_CURRENT_PASSWORD',
      );
      const changed = await api.send('POST', '/users/me/password', {
        token: user.token,
        json: { currentPassword: PASSWORD, newPassword },
      });
      expect(changed.status).toBe(204);
      expect(changed.body).toBeNull();
      expectError(await api.send('GET', '/users/me', { token: other.accessToken }), 401, 'INVALID_TOKEN');
      expectData(await api.send('GET', '/users/me', { token: user.token }));
      expectError(
        await api.send('POST', '/authn/password', { json: { email: user.email, password: PASSWORD } }),
        401,
        'INVALID_CREDENTIALS',
      );
      await api.login(user.email, newPassword);
    });

    it('takes a fresh login instead of the current password (step-up), and revokes the other sessions', async () => {
      const user = await api.signUp('pw-stepup');
      const other = await api.login(user.email, PASSWORD);
      const newPassword = 'a much better passphrase';
      const changed = await api.send('POST', '/users/me/password', { token: user.token, json: { newPassword } });
      expect(changed.status).toBe(204);
      expectError(await api.send('GET', '/users/me', { token: other.accessToken }), 401, 'INVALID_TOKEN');
      await api.login(user.email, newPassword);
    });

    it('refuses a weak new password', async () => {
      const user = await api.signUp('pw-weak');
      const reply = await api.send('POST', '/users/me/password', {
        token: user.token,
        json: { currentPassword: PASSWORD, newPassword: 'short' },
      });
      expectError(reply, 400, 'WEAK_PASSWORD');
      expect(reply.body.error.details[0].path).toBe('newPassword');
    });
  });

  describe('DELETE /users/:id', () => {
    it('deletes the account: its tokens stop working, its address is free again', async () => {
      const user = await api.signUp('delete');
      const deleted = await api.send('DELETE', '/users/me', { token: user.token });
      expect(deleted.status).toBe(204);
      expectError(await api.send('GET', '/users/me', { token: user.token }), 401, 'INVALID_TOKEN');
      expectError(
        await api.send('POST', '/authn/password', { json: { email: user.email, password: PASSWORD } }),
        401,
        'INVALID_CREDENTIALS',
      );
      expectData(await api.send('POST', '/users', { json: { name: 'Again', email: user.email } }), 201);
    });

    it("refuses to delete someone else's account", async () => {
      const [user, other] = [await api.signUp('a'), await api.signUp('b')];
      expectError(await api.send('DELETE', `/users/${other.id}`, { token: user.token }), 404, 'NOT_FOUND');
    });
  });

  describe('login emails', () => {
    it('adds addresses (codes sent), verifies one, lists and removes them', async () => {
      const user = await api.signUp('emails');
      const [second, third] = [uniqueEmail('second'), uniqueEmail('third')];
      const added = expectData(
        await api.send('POST', '/users/me/login-emails', { token: user.token, json: { emails: [second, third] } }),
        201,
      );
      expect(added.map((e: { address: string }) => e.address)).toEqual([second, third]);
      expect(added.every((e: { verifiedAt: unknown }) => e.verifiedAt === null)).toBe(true);

      expectError(
        await api.send('POST', '/emails/verify', { json: { email: second, code: '000000x' } }),
        400,
        'INVALID_CODE',
      );
      const verified = expectData(
        await api.send('POST', '/emails/verify', { json: { email: second, code: await api.lastCode(second) } }),
      );
      expect(verified).toMatchObject({ address: second, userId: user.id, verifiedAt: expect.any(String) });

      const listed = expectPage(await api.send('GET', `/users/${user.id}/login-emails`, { token: user.token }));
      expect(listed).toHaveLength(3);
      const remaining = expectData(
        await api.send('DELETE', '/users/me/login-emails', {
          token: user.token,
          json: { emails: [third, user.email] },
        }),
      );
      expect(remaining.map((e: { address: string }) => e.address)).toEqual([second]);
      expectError(
        await api.send('DELETE', '/users/me/login-emails', { token: user.token, json: { emails: [second] } }),
        409,
        'LAST_EMAIL',
      );
    });

    it('answers 409 EMAIL_TAKEN for an address of another user', async () => {
      const [user, other] = [await api.signUp('a'), await api.signUp('b')];
      const reply = await api.send('POST', '/users/me/login-emails', {
        token: user.token,
        json: { emails: [other.email] },
      });
      expectError(reply, 409, 'EMAIL_TAKEN');
    });

    it('verifies a code only once', async () => {
      const email = uniqueEmail('once');
      expectData(await api.send('POST', '/users', { json: { name: 'Once', email } }), 201);
      const code = await api.lastCode(email);
      expectData(await api.send('POST', '/emails/verify', { json: { email, code } }));
      expectError(await api.send('POST', '/emails/verify', { json: { email, code } }), 400, 'INVALID_CODE');
    });

    it('answers 202 to a resend whether or not the address exists', async () => {
      const email = uniqueEmail('resend');
      expectData(await api.send('POST', '/users', { json: { name: 'Re', email } }), 201);
      const first = await api.lastCode(email);
      const known = await api.send('POST', '/emails/resend-verification', { json: { email } });
      const unknown = await api.send('POST', '/emails/resend-verification', { json: { email: uniqueEmail('ghost') } });
      expect([known.status, known.body]).toEqual([202, { data: null }]);
      expect([unknown.status, unknown.body]).toEqual([202, { data: null }]);
      const second = await api.lastCode(email);
      expectData(await api.send('POST', '/emails/verify', { json: { email, code: second } }));
      if (second !== first) {
        expectError(await api.send('POST', '/emails/verify', { json: { email, code: first } }), 400, 'INVALID_CODE');
      }
    });
  });
}
