import * as OTPAuth from 'otpauth';
import { type Api, expectData, expectError, PASSWORD } from './target';

/** Two-factor authentication (issue "Account lifecycle" §2) over HTTP, with codes computed here from the secret. */
export function describeTwoFactor(api: Api): void {
  /** The code an authenticator app shows for `secret`, `stepsAhead` 30-second steps from the target's now. */
  const totp = (secret: string, stepsAhead = 0): string =>
    new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate({
      timestamp: api.now().getTime() + stepsAhead * 30_000,
    });

  describe('two-factor: /users/:id/mfa/… and POST /authn/mfa', () => {
    it('enrols, confirms, asks for the second factor at login, refuses a replay, takes a recovery code once', async () => {
      const user = await api.signUp('mfa');
      const enrolment = expectData(await api.send('POST', '/users/me/mfa/totp', { token: user.token }));
      expect(enrolment.uri).toContain(`secret=${enrolment.secret}`);
      expect(enrolment.qrCodeSvg).toMatch(/^<svg /);
      expect(expectData(await api.send('GET', '/users/me', { token: user.token })).mfa).toEqual({ totp: false });

      const confirmed = expectData(
        await api.send('POST', '/users/me/mfa/totp/confirm', {
          token: user.token,
          json: { code: totp(enrolment.secret) },
        }),
      );
      expect(confirmed.recoveryCodes).toHaveLength(10);
      const me = expectData(await api.send('GET', '/users/me', { token: user.token }));
      expect(me.mfa).toEqual({ totp: true });
      expect(JSON.stringify(me)).not.toContain(enrolment.secret);

      const login = async (): Promise<string> => {
        const reply = await api.send('POST', '/authn/password', { json: { email: user.email, password: PASSWORD } });
        expect({ status: reply.status, code: reply.body.error?.code }).toEqual({ status: 401, code: 'MFA_REQUIRED' });
        expect(Object.keys(reply.body.error).sort()).toEqual(['challenge', 'code', 'message']);
        return reply.body.error.challenge;
      };

      // The next step's code: the confirming one's step is used up, and one step of skew is allowed.
      const code = totp(enrolment.secret, 1);
      const tokens = expectData(await api.send('POST', '/authn/mfa', { json: { challenge: await login(), code } }));
      expect(tokens.tokenType).toBe('Bearer');
      expectData(await api.send('GET', '/users/me', { token: tokens.accessToken }));

      const replayed = await login();
      expectError(
        await api.send('POST', '/authn/mfa', { json: { challenge: replayed, code } }),
        401,
        'INVALID_MFA_CODE',
      );

      const [recoveryCode] = confirmed.recoveryCodes;
      expectData(await api.send('POST', '/authn/mfa', { json: { challenge: replayed, recoveryCode } }));
      expectError(
        await api.send('POST', '/authn/mfa', { json: { challenge: await login(), recoveryCode } }),
        401,
        'INVALID_MFA_CODE',
      );
      expectError(
        await api.send('POST', '/authn/mfa', {
          json: { challenge: replayed, recoveryCode: confirmed.recoveryCodes[1] },
        }),
        401,
        'INVALID_MFA_CHALLENGE',
      );
    });

    it('an organization that requires two-factor answers its members without it 403 MFA_REQUIRED_BY_ORGANIZATION', async () => {
      const { owner, id } = await api.organization('strict');
      const member = await api.signUp('strict-member');
      const membership = { token: owner.token, json: { userId: member.id, role: 'member' } };
      expectData(await api.send('POST', `/organizations/${id}/memberships`, membership), 201);
      const requireIt = { token: owner.token, json: { requireMfa: true } };
      // An owner without two-factor would lock themselves out.
      expectError(await api.send('PATCH', `/organizations/${id}`, requireIt), 403, 'MFA_REQUIRED_BY_ORGANIZATION');
      const enrolment = expectData(await api.send('POST', '/users/me/mfa/totp', { token: owner.token }));
      const confirm = { token: owner.token, json: { code: totp(enrolment.secret) } };
      expectData(await api.send('POST', '/users/me/mfa/totp/confirm', confirm));
      expect(expectData(await api.send('PATCH', `/organizations/${id}`, requireIt)).requireMfa).toBe(true);

      for (const path of [`/organizations/${id}`, `/organizations/${id}/memberships`, `/organizations/${id}/clients`]) {
        expectError(await api.send('GET', path, { token: member.token }), 403, 'MFA_REQUIRED_BY_ORGANIZATION');
      }
      expectData(await api.send('GET', `/organizations/${id}`, { token: owner.token }));
    });
  });
}
