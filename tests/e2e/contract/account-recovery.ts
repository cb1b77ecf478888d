import { type Api, expectData, expectError, newState, PASSWORD } from './target';

/** Password reset (issue "Account lifecycle" §1) and step-up reauthentication (§3) over HTTP. */
export function describeAccountRecovery(api: Api): void {
  describe('POST /authn/password-reset/request and /authn/password-reset', () => {
    it('sets a new password with the emailed code and ends every session', async () => {
      const user = await api.signUp('reset');
      const other = await api.login(user.email, PASSWORD);
      const accepted = await api.send('POST', '/authn/password-reset/request', { json: { email: user.email } });
      expect({ status: accepted.status, body: accepted.body }).toEqual({ status: 202, body: { data: null } });
      const code = await api.lastCode(user.email, 'password-reset');
      const newPassword = 'a reset passphrase of mine';
      const reset = await api.send('POST', '/authn/password-reset', {
        json: { email: user.email, code, newPassword },
      });
      expect(reset.status).toBe(204);
      for (const token of [user.token, other.accessToken]) {
        expectError(await api.send('GET', '/users/me', { token }), 401, 'INVALID_TOKEN');
      }
      expectError(
        await api.send('POST', '/authn/password-reset', {
          json: { email: user.email, code, newPassword: 'and another one here' },
        }),
        400,
        'INVALID_CODE',
      );
      expectError(
        await api.send('POST', '/authn/password', { json: { email: user.email, password: PASSWORD } }),
        401,
        'INVALID_CREDENTIALS',
      );
      await api.login(user.email, newPassword);
    });

    it('answers 202 for an unknown address and 400 INVALID_CODE for a wrong code', async () => {
      const accepted = await api.send('POST', '/authn/password-reset/request', {
        json: { email: 'nobody-reset@example.com' },
      });
      expect(accepted.status).toBe(202);
      expectError(
        await api.send('POST', '/authn/password-reset', {
          json: { email: 'nobody-reset@example.com', code: '123456', newPassword: 'a reset passphrase of mine' },
        }),
        400,
        'INVALID_CODE',
      );
    });

    it('names each bad field', async () => {
      const reply = await api.send('POST', '/authn/password-reset', { json: { email: 'not an address', code: '' } });
      expectError(reply, 400, 'VALIDATION_FAILED');
      const paths = reply.body.error.details.map((detail: { path: string }) => detail.path).sort();
      expect(paths).toEqual(['code', 'email', 'newPassword']);
    });
  });

  describe('POST /authn/reauthenticate', () => {
    it('proves the user again with the password: a new access token of the same session', async () => {
      const user = await api.signUp('reauth');
      const grant = expectData(
        await api.send('POST', '/authn/reauthenticate', { token: user.token, json: { password: PASSWORD } }),
      );
      expect(grant.sessionId).toBe(user.tokens.sessionId);
      expect(grant.tokenType).toBe('Bearer');
      expectData(await api.send('GET', '/users/me', { token: grant.accessToken }));
      expectError(
        await api.send('POST', '/authn/reauthenticate', { token: user.token, json: { password: 'not the password!' } }),
        403,
        'INVALID_CURRENT_PASSWORD',
      );
    });

    it('proves the user again with a login code sent to their verified address', async () => {
      const user = await api.signUp('reauth-code');
      const state = newState();
      await api.send('POST', '/authn/email', { json: { email: user.email, state } });
      const code = await api.lastCode(user.email, 'login');
      const grant = expectData(
        await api.send('POST', '/authn/reauthenticate', { token: user.token, json: { code, state } }),
      );
      expect(grant.sessionId).toBe(user.tokens.sessionId);
    });

    it('needs a signed-in user', async () => {
      expectError(
        await api.send('POST', '/authn/reauthenticate', { json: { password: PASSWORD } }),
        401,
        'UNAUTHENTICATED',
      );
    });
  });
}
