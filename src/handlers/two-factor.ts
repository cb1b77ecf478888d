import { MfaLoginInput } from '../domain/mfa-login';
import { ConfirmTotpInput } from '../domain/two-factor';
import { RecoveryCodesView, TokensView, TotpEnrolmentView } from '../domain/views';
import { asInput, dataResponse, noContentResponse, userIdParam } from './respond';
import type { Action, DocumentedRoute } from './types';

/** `POST /users/:id/mfa/totp`: self, after step-up. 200 the secret, URI and QR code (shown once); pending. */
export const beginTotpEnrolment: Action = async (accounts, request) => {
  const userId = userIdParam(request);
  if (userId.err) return userId;
  return dataResponse(await accounts.twoFactor.beginTotpEnrolment(request.caller, userId.val));
};

/** `POST /users/:id/mfa/totp/confirm`: `{ code }`; self. 200 the 10 recovery codes (shown once). */
export const confirmTotp: Action = async (accounts, request) => {
  const userId = userIdParam(request);
  if (userId.err) return userId;
  const input = asInput<ConfirmTotpInput>(request.body);
  return dataResponse(await accounts.twoFactor.confirmTotp(request.caller, userId.val, input, request.info));
};

/** `DELETE /users/:id/mfa/totp`: self or sysadmin, after step-up. 204; the recovery codes go too. */
export const disableTotp: Action = async (accounts, request) => {
  const userId = userIdParam(request);
  if (userId.err) return userId;
  return noContentResponse(await accounts.twoFactor.disableTotp(request.caller, userId.val));
};

/** `POST /users/:id/mfa/recovery-codes`: self, after step-up. 200 10 new codes; the old ones stop working. */
export const replaceRecoveryCodes: Action = async (accounts, request) => {
  const userId = userIdParam(request);
  if (userId.err) return userId;
  return dataResponse(await accounts.twoFactor.replaceRecoveryCodes(request.caller, userId.val));
};

/** `POST /authn/mfa`: `{ challenge, code }` or `{ challenge, recoveryCode }`. 200 Tokens. */
export const completeMfaLogin: Action = async (accounts, { body, info }) =>
  dataResponse(await accounts.sessions.completeMfaLogin(asInput<MfaLoginInput>(body), info));

export const twoFactorRoutes: DocumentedRoute[] = [
  {
    method: 'POST',
    path: '/users/:id/mfa/totp',
    body: 'none',
    action: beginTotpEnrolment,
    docs: {
      summary: 'Start a TOTP enrolment: a new secret, its otpauth:// URI and a QR code, shown once',
      who: 'self (recent login)',
      callers: 'user',
      success: {
        status: 200,
        description: 'The pending authenticator; `POST /users/:id/mfa/totp/confirm` turns it on.',
        data: TotpEnrolmentView,
      },
      errors: ['EMAIL_NOT_VERIFIED', 'MFA_ALREADY_ENABLED', 'REAUTHENTICATION_REQUIRED'],
    },
  },
  {
    method: 'POST',
    path: '/users/:id/mfa/totp/confirm',
    body: 'json',
    action: confirmTotp,
    docs: {
      summary: 'Turn two-factor on with a current code of the pending authenticator',
      who: 'self',
      callers: 'user',
      request: ConfirmTotpInput,
      example: { code: '123456' },
      success: { status: 200, description: 'The 10 recovery codes, shown once.', data: RecoveryCodesView },
      errors: ['INVALID_MFA_CODE', 'MFA_ALREADY_ENABLED', 'MFA_NOT_ENABLED'],
    },
  },
  {
    method: 'DELETE',
    path: '/users/:id/mfa/totp',
    body: 'none',
    action: disableTotp,
    docs: {
      summary: 'Turn two-factor off (the authenticator and the recovery codes)',
      who: 'self, sysadmin (recent login)',
      callers: 'caller',
      success: { status: 204, description: 'Two-factor is off.' },
      errors: ['MFA_NOT_ENABLED', 'REAUTHENTICATION_REQUIRED'],
    },
  },
  {
    method: 'POST',
    path: '/users/:id/mfa/recovery-codes',
    body: 'none',
    action: replaceRecoveryCodes,
    docs: {
      summary: 'Replace the recovery codes; the old ones stop working',
      who: 'self (recent login)',
      callers: 'user',
      success: { status: 200, description: 'The 10 new recovery codes, shown once.', data: RecoveryCodesView },
      errors: ['MFA_NOT_ENABLED', 'REAUTHENTICATION_REQUIRED'],
    },
  },
  {
    method: 'POST',
    path: '/authn/mfa',
    body: 'json',
    action: completeMfaLogin,
    docs: {
      summary: 'Complete a login that answered MFA_REQUIRED with a TOTP code or a recovery code',
      who: 'anyone',
      callers: 'anyone',
      request: MfaLoginInput,
      example: { challenge: 'mfa_…', code: '123456' },
      success: { status: 200, description: 'An access and a refresh token (`amr: ["mfa"]`).', data: TokensView },
      errors: ['INVALID_MFA_CHALLENGE', 'INVALID_MFA_CODE'],
    },
  },
];
