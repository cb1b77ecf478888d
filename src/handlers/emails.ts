import { EmailListInput, ResendVerificationInput, VerifyEmailInput } from '../domain/emails';
import { LoginEmailListView, LoginEmailPageView, LoginEmailView } from '../domain/views';
import { acceptedResponse, asInput, dataResponse, pageQuery, pageResponse, userIdParam } from './respond';
import type { Action, DocumentedRoute } from './types';

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
  return pageResponse(await accounts.emails.list(request.caller, userId.val, pageQuery(request)));
};

/** `POST /emails/verify`: `{ email, code }`; anyone. 400 `INVALID_CODE` for a wrong, used or expired code. */
export const verifyEmail: Action = async (accounts, { body, info }) =>
  dataResponse(await accounts.emails.verify(asInput<VerifyEmailInput>(body), info));

/** `POST /emails/resend-verification`: `{ email }`; 202 whether or not anything was sent. */
export const resendVerification: Action = async (accounts, { body, info }) =>
  acceptedResponse(await accounts.emails.resendVerification(asInput<ResendVerificationInput>(body), info));

export const emailRoutes: DocumentedRoute[] = [
  {
    method: 'POST',
    path: '/users/:id/login-emails',
    body: 'json',
    action: addLoginEmails,
    docs: {
      summary: 'Add login emails; each gets a verify-email code',
      who: 'self, sysadmin',
      callers: 'caller',
      request: EmailListInput,
      example: { emails: ['ada@work.example.com'] },
      success: { status: 201, description: 'The added emails.', data: LoginEmailListView },
      errors: ['EMAIL_TAKEN', 'TOO_MANY_UNVERIFIED_EMAILS', 'REAUTHENTICATION_REQUIRED'],
    },
  },
  {
    method: 'DELETE',
    path: '/users/:id/login-emails',
    body: 'json',
    action: removeLoginEmails,
    docs: {
      summary: 'Remove login emails',
      who: 'self, sysadmin',
      callers: 'caller',
      request: EmailListInput,
      example: { emails: ['ada@work.example.com'] },
      success: { status: 200, description: 'The emails that remain.', data: LoginEmailListView },
      errors: ['LAST_EMAIL', 'REAUTHENTICATION_REQUIRED'],
    },
  },
  {
    method: 'GET',
    path: '/users/:id/login-emails',
    body: 'none',
    action: listLoginEmails,
    docs: {
      summary: 'List a user’s login emails',
      who: 'self, employee, sysadmin',
      callers: 'caller',
      success: { status: 200, description: 'A page of the emails, oldest first.', page: LoginEmailPageView },
    },
  },
  {
    method: 'POST',
    path: '/emails/verify',
    body: 'json',
    action: verifyEmail,
    docs: {
      summary: 'Verify an address with the code sent to it',
      who: 'anyone',
      callers: 'anyone',
      request: VerifyEmailInput,
      example: { email: 'ada@example.com', code: '123456' },
      success: { status: 200, description: 'The verified email.', data: LoginEmailView },
      errors: ['INVALID_CODE'],
    },
  },
  {
    method: 'POST',
    path: '/emails/resend-verification',
    body: 'json',
    action: resendVerification,
    docs: {
      summary: 'Send a new verify-email code',
      who: 'anyone',
      callers: 'anyone',
      request: ResendVerificationInput,
      example: { email: 'ada@example.com' },
      success: { status: 202, description: 'Accepted, whether or not anything was sent: `{ "data": null }`.' },
    },
  },
];
