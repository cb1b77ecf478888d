import type { EmailListInput, ResendVerificationInput, VerifyEmailInput } from '../domain/emails';
import { acceptedResponse, asInput, dataResponse, userIdParam } from './respond';
import type { Action, RouteDefinition } from './types';

/** `POST /users/:id/login-emails`: `{ emails }`; self or sysadmin; each gets a code. 201 the added emails. */
export const addLoginEmails: Action = async (accounts, request) => {
  const userId = userIdParam(request);
  if (userId.err) return userId;
  const input = asInput<EmailListInput>(request.body);
  return dataResponse(await accounts.emails.add(request.caller, userId.val, input, request.info), 201);
};

/** `DELETE /users/:id/login-emails`: `{ emails }`; 200 with what remains, 409 `LAST_EMAIL` if nothing would. */
export const removeLoginEmails: Action = async (accounts, request) => {
  const userId = userIdParam(request);
  if (userId.err) return userId;
  const input = asInput<EmailListInput>(request.body);
  return dataResponse(await accounts.emails.remove(request.caller, userId.val, input));
};

/** `GET /users/:id/login-emails`: self, employees, sysadmins. */
export const listLoginEmails: Action = async (accounts, request) => {
  const userId = userIdParam(request);
  if (userId.err) return userId;
  return dataResponse(await accounts.emails.list(request.caller, userId.val));
};

/** `POST /emails/verify`: `{ email, code }`; anyone. 400 `INVALID_CODE` for a wrong, used or expired code. */
export const verifyEmail: Action = async (accounts, { body, info }) =>
  dataResponse(await accounts.emails.verify(asInput<VerifyEmailInput>(body), info));

/** `POST /emails/resend-verification`: `{ email }`; 202 whether or not anything was sent. */
export const resendVerification: Action = async (accounts, { body, info }) =>
  acceptedResponse(await accounts.emails.resendVerification(asInput<ResendVerificationInput>(body), info));

export const emailRoutes: RouteDefinition[] = [
  { method: 'POST', path: '/users/:id/login-emails', body: 'json', action: addLoginEmails },
  { method: 'DELETE', path: '/users/:id/login-emails', body: 'json', action: removeLoginEmails },
  { method: 'GET', path: '/users/:id/login-emails', body: 'none', action: listLoginEmails },
  { method: 'POST', path: '/emails/verify', body: 'json', action: verifyEmail },
  { method: 'POST', path: '/emails/resend-verification', body: 'json', action: resendVerification },
];
