import { PasswordResetInput, PasswordResetRequestInput } from '../domain/password-reset';
import { acceptedResponse, asInput, noContentResponse } from './respond';
import type { Action, DocumentedRoute } from './types';

/** `POST /authn/password-reset/request`: `{ email }`; a reset code goes to a known address. 202 always. */
export const requestPasswordReset: Action = async (accounts, { body, info }) =>
  acceptedResponse(await accounts.passwordReset.request(asInput<PasswordResetRequestInput>(body), info));

/**
 * `POST /authn/password-reset`: `{ email, code, newPassword }`. 204; every session of the user is
 * revoked. 400 `INVALID_CODE` for a wrong, used or expired code; 400 `WEAK_PASSWORD` keeps the code.
 */
export const resetPassword: Action = async (accounts, { body, info }) =>
  noContentResponse(await accounts.passwordReset.reset(asInput<PasswordResetInput>(body), info));

export const passwordResetRoutes: DocumentedRoute[] = [
  {
    method: 'POST',
    path: '/authn/password-reset/request',
    body: 'json',
    action: requestPasswordReset,
    docs: {
      summary: 'Email a password reset code to a known address',
      who: 'anyone',
      callers: 'anyone',
      request: PasswordResetRequestInput,
      example: { email: 'ada@example.com', state: 'b6c5e1f0a7d94c2e8f3b' },
      success: { status: 202, description: 'Accepted, whether or not the address is known: `{ "data": null }`.' },
    },
  },
  {
    method: 'POST',
    path: '/authn/password-reset',
    body: 'json',
    action: resetPassword,
    docs: {
      summary: 'Set a new password with an emailed reset code; every session of the user ends',
      who: 'anyone',
      callers: 'anyone',
      request: PasswordResetInput,
      example: {
        email: 'ada@example.com',
        code: '123456',
        newPassword: 'a brand new passphrase',
        state: 'b6c5e1f0a7d94c2e8f3b',
      },
      success: { status: 204, description: 'The password is set; the address counts as verified.' },
      errors: [
        'INVALID_CODE',
        'WEAK_PASSWORD',
        'ACCOUNT_DISABLED',
        'ADDRESS_RELEASED',
        'MFA_CODE_REQUIRED',
        'INVALID_MFA_CODE',
      ],
    },
  },
];
