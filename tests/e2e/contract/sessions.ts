import { type Api, expectData, expectError, expectPage, newState, PASSWORD, type Tokens, uniqueEmail } from './target';

/** `/authn/…`, `/sessions/…`, `/users/:id/sessions` and the JWKS (HTTP.md, SPEC §3). */
export function describeSessions(api: Api): void {
  describe('POST /authn/password', () => {
    it('answers Tokens', async () => {
      const user = await api.signUp('login');
      expect(user.tokens).toEqual({
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 900,
        sessionId: expect.stringMatching(/^ses_/),
      });
    });

    it('gives one answer for a wrong password and an unknown address', async () => {
      const user = await api.signUp('wrong');
      const wrong = await api.send('POST', '/authn/password', {
        json: { email: user.email, password: 'not the password' },
      });
      const unknown = await api.send('POST', '/authn/password', {
        json: { email: uniqueEmail('ghost'), password: PASSWORD },
      });
      expectError(wrong, 401, 'INVALID_CREDENTIALS');
      expect(unknown.body).toEqual(wrong.body);
    });

    it('answers 429 with Retry-After past the failure limit, even with the right password', async () => {
      const user = await api.signUp('limit');
      for (let attempt = 0; attempt < 10; attempt += 1) {
        expectError(
          await api.send('POST', '/authn/password', { json: { email: user.email, password: 'guess guess guess' } }),
          401,
          'INVALID_CREDENTIALS',
        );
      }
      const limited = await api.send('POST', '/authn/password', { json: { email: user.email, password: PASSWORD } });
      expectError(limited, 429, 'RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    });
  });

  describe('POST /authn/email and /authn/code', () => {
    it('logs in with an emailed code bound to its state, and marks the address verified', async () => {
      const email = uniqueEmail('code');
      expectData(await api.send('POST', '/users', { json: { name: 'Coder', email } }), 201);
      const state = newState();
      const requested = await api.send('POST', '/authn/email', { json: { email, state } });
      expect([requested.status, requested.body]).toEqual([202, { data: null }]);
      const code = await api.lastCode(email, 'login');

      expectError(await api.send('POST', '/authn/code', { json: { code, state: newState() } }), 401, 'INVALID_CODE');
      const tokens = expectData<Tokens>(await api.send('POST', '/authn/code', { json: { code, state } }));
      expect(tokens.tokenType).toBe('Bearer');
      const me = expectData(await api.send('GET', '/users/me', { token: tokens.accessToken }));
      expect(me.emails[0].verifiedAt).toEqual(expect.any(String));
      expectError(await api.send('POST', '/authn/code', { json: { code, state } }), 401, 'INVALID_CODE');
    });

    it('answers 202 for an unknown address too', async () => {
      const reply = await api.send('POST', '/authn/email', {
        json: { email: uniqueEmail('nobody'), state: newState() },
      });
      expect([reply.status, reply.body]).toEqual([202, { data: null }]);
    });

    it('refuses a state that is too short', async () => {
      const reply = await api.send('POST', '/authn/email', { json: { email: uniqueEmail('s'), state: 'short' } });
      expectError(reply, 400, 'VALIDATION_FAILED');
      expect(reply.body.error.details).toEqual([{ path: 'state', message: expect.any(String) }]);
    });
  });

  describe('POST /authn/refresh', () => {
    it('rotates tokens within the session; a reused refresh token revokes the session', async () => {
      const user = await api.signUp('refresh');
      const first = user.tokens;
      const second = expectData<Tokens>(
        await api.send('POST', '/authn/refresh', { json: { refreshToken: first.refreshToken } }),
      );
      expect(second.sessionId).toBe(first.sessionId);
      expect(second.refreshToken).not.toBe(first.refreshToken);
      expectData(await api.send('GET', '/users/me', { token: second.accessToken }));

      expectError(
        await api.send('POST', '/authn/refresh', { json: { refreshToken: first.refreshToken } }),
        401,
        'INVALID_REFRESH_TOKEN',
      );
      expectError(
        await api.send('POST', '/authn/refresh', { json: { refreshToken: second.refreshToken } }),
        401,
        'INVALID_REFRESH_TOKEN',
      );
      expectError(await api.send('GET', '/users/me', { token: second.accessToken }), 401, 'INVALID_TOKEN');
    });

    it('refuses an unknown refresh token', async () => {
      expectError(
        await api.send('POST', '/authn/refresh', { json: { refreshToken: 'made-up' } }),
        401,
        'INVALID_REFRESH_TOKEN',
      );
    });
  });

  describe('sessions', () => {
    it('logs out the current session at once', async () => {
      const user = await api.signUp('logout');
      const other = await api.login(user.email, PASSWORD);
      expect((await api.send('POST', '/sessions/logout', { token: user.token })).status).toBe(204);
      expectError(await api.send('GET', '/users/me', { token: user.token }), 401, 'INVALID_TOKEN');
      expectError(
        await api.send('POST', '/authn/refresh', { json: { refreshToken: user.tokens.refreshToken } }),
        401,
        'INVALID_REFRESH_TOKEN',
      );
      expectData(await api.send('GET', '/users/me', { token: other.accessToken }));
    });

    it('logs out every session with { all: true }', async () => {
      const user = await api.signUp('logout-all');
      const other = await api.login(user.email, PASSWORD);
      expect((await api.send('POST', '/sessions/logout', { token: user.token, json: { all: true } })).status).toBe(204);
      expectError(await api.send('GET', '/users/me', { token: other.accessToken }), 401, 'INVALID_TOKEN');
    });

    it('lets a sysadmin end every session of one user, and nobody else', async () => {
      const user = await api.signUp('end-all');
      const other = await api.login(user.email, PASSWORD);
      const admin = await api.sysadmin();
      const adminId = expectData(await api.send('GET', '/users/me', { token: admin })).id;
      expect((await api.send('DELETE', `/users/${user.id}/sessions`, { token: admin })).status).toBe(204);
      for (const token of [user.token, other.accessToken]) {
        expectError(await api.send('GET', '/users/me', { token }), 401, 'INVALID_TOKEN');
      }
      // Its credentials still work; a user cannot end someone else's sessions.
      const again = await api.login(user.email, PASSWORD);
      expectError(
        await api.send('DELETE', `/users/${adminId}/sessions`, { token: again.accessToken }),
        404,
        'NOT_FOUND',
      );
      expectData(await api.send('GET', '/users/me', { token: admin }));
    });

    it('needs a user to log out', async () => {
      expectError(await api.send('POST', '/sessions/logout'), 401, 'UNAUTHENTICATED');
    });

    it('lists the live sessions and revokes one by id; others’ sessions are hidden', async () => {
      const user = await api.signUp('list');
      const other = await api.login(user.email, PASSWORD);
      const sessions = expectPage(await api.send('GET', '/users/me/sessions', { token: user.token }));
      expect(sessions.map((s: { id: string }) => s.id).sort()).toEqual([user.tokens.sessionId, other.sessionId].sort());
      expect(sessions[0]).toMatchObject({ userId: user.id, ip: expect.any(String), createdAt: expect.any(String) });
      expect(JSON.stringify(sessions)).not.toMatch(/token|hash/i);

      const stranger = await api.signUp('stranger');
      expectError(
        await api.send('DELETE', `/sessions/${other.sessionId}`, { token: stranger.token }),
        404,
        'NOT_FOUND',
      );
      expectError(await api.send('GET', `/users/${user.id}/sessions`, { token: stranger.token }), 404, 'NOT_FOUND');
      expect((await api.send('DELETE', `/sessions/${other.sessionId}`, { token: user.token })).status).toBe(204);
      expectError(await api.send('GET', '/users/me', { token: other.accessToken }), 401, 'INVALID_TOKEN');
    });
  });

  describe('GET /.well-known/jwks.json', () => {
    it('answers a bare JWKS', async () => {
      const reply = await api.send('GET', '/.well-known/jwks.json');
      expect(reply.status).toBe(200);
      expect(Object.keys(reply.body)).toEqual(['keys']);
      expect(Array.isArray(reply.body.keys)).toBe(true);
    });
  });
}
