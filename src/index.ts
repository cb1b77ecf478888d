/**
 * accounts-module: users, verified login emails, organizations, API clients and sessions for
 * TypeScript applications. Everything public is exported from here (and the Io conformance suite from
 * `accounts-module/testing`).
 */

// Every service answers a ts-results `Result`: re-exported so applications type and build results
// without depending on ts-results themselves.
export { Err, Ok, Result, type ResultErrType, type ResultOkType } from 'ts-results';
// Shipped adapters.
export * from './adapters/lib';
export * from './adapters/memory';
export * from './adapters/sql';
export { ACCEPTED_DATABASE_URLS, DatabaseUrlError } from './adapters/sql/connect';
// The façade most applications start from.
export { type CreateAccountsOptions, createAccounts } from './create-accounts';
export { Accounts } from './domain/accounts';
export * from './domain/clients';
export { PendingDeliveries } from './domain/code-delivery';
export * from './domain/codecs';
export * from './domain/context';
export { EmailListInput, EmailService, ResendVerificationInput, VerifyEmailInput } from './domain/emails';
// Domain: services, errors, codecs and the caller model.
export * from './domain/errors';
export {
  decodeEventCursor,
  EventFilters,
  EventQuery,
  type EventQueryInput,
  EventTrailService,
  encodeEventCursor,
} from './domain/event-trail';
export * from './domain/invitations';
export { type LoginStep, MfaLoginInput } from './domain/mfa-login';
export * from './domain/organizations';
export * from './domain/pagination';
export { PasswordResetInput, PasswordResetRequestInput, PasswordResetService } from './domain/password-reset';
export { type AccessTokenGrant, ReauthenticateInput } from './domain/reauthentication';
export {
  CodeLoginInput,
  isSessionLive,
  LoginCodeRequestInput,
  type LoginContext,
  LogoutInput,
  PasswordLoginInput,
  RefreshInput,
  SessionService,
  type Tokens,
  toPublicSession,
} from './domain/sessions';
export { requireRecentAuthentication } from './domain/step-up';
export {
  ConfirmTotpInput,
  RECOVERY_CODE_COUNT,
  type RecoveryCodes,
  type SecondFactorInput,
  TwoFactorService,
} from './domain/two-factor';
export { ME, resolveUserId } from './domain/user-ref';
export {
  ChangePasswordInput,
  RegisterInput,
  SetRolesInput,
  toPublicUser,
  UpdateUserInput,
  UserService,
} from './domain/users';
export * from './domain/views';
// Framework-neutral HTTP handlers (optional): mount the route table in any HTTP layer.
// Event delivery from the outbox (docs/events.md): the relay, its sinks and the webhook signature.
export * from './events';
export * from './handlers';
// Ports: what a custom Io or Lib implements, and the entities they carry.
export * from './ports';
