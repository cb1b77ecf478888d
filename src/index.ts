/**
 * accounts-module: users, verified login emails, organizations, API clients and sessions for
 * TypeScript applications. Everything public is exported from here (and the Io conformance suite from
 * `accounts-module/testing`).
 */

// Shipped adapters.
export * from './adapters/lib';
export * from './adapters/memory';
export * from './adapters/sql';
// The façade most applications start from.
export { type CreateAccountsOptions, createAccounts } from './create-accounts';
export { Accounts } from './domain/accounts';
export * from './domain/clients';
export * from './domain/codecs';
export { PendingDeliveries } from './domain/codes';
export * from './domain/context';
export { EmailListInput, EmailService, ResendVerificationInput, VerifyEmailInput } from './domain/emails';
// Domain: services, errors, codecs and the caller model.
export * from './domain/errors';
export * from './domain/organizations';
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
export * from './handlers';
// Ports: what a custom Io or Lib implements, and the entities they carry.
export * from './ports';
