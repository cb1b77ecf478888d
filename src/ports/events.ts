import type { AuthMethod, CodePurpose, MembershipRole } from './entities';

/**
 * Security-relevant events (docs/security-rules.md §9), delivered to `Lib.onEvent`. They carry ids and addresses, never
 * a secret, hash, code or token. `at` is the domain clock's time of the action.
 */
export type AccountsEvent =
  | { type: 'user.registered'; at: Date; userId: string }
  | { type: 'user.deleted'; at: Date; userId: string; byUserId: string | null }
  | { type: 'user.banned'; at: Date; userId: string }
  | { type: 'user.unbanned'; at: Date; userId: string }
  | { type: 'user.roles_changed'; at: Date; userId: string; roles: string[] }
  | {
      type: 'login.succeeded';
      at: Date;
      userId: string;
      sessionId: string;
      /** `mfa`: a password or code login completed by its second factor (`POST /authn/mfa`). */
      method: 'password' | 'code' | 'mfa';
      ip: string | null;
    }
  | {
      type: 'login.failed';
      at: Date;
      method: 'password' | 'code' | 'mfa';
      reason: LoginFailureReason;
      /** The address tried, when the method had one (password logins). */
      email: string | null;
      ip: string | null;
    }
  | { type: 'session.revoked'; at: Date; userId: string; sessionId: string | null; reason: SessionRevokeReason }
  /** A TOTP factor was confirmed: two-factor is on, with fresh recovery codes. */
  | { type: 'mfa.enabled'; at: Date; userId: string }
  /** Two-factor was turned off (`by`: the user, or the account's claim by proof of its address). */
  | { type: 'mfa.disabled'; at: Date; userId: string; reason: 'disabled' | 'account_claimed' }
  | { type: 'mfa.recovery_codes_replaced'; at: Date; userId: string }
  /** A recovery code stood in for a TOTP; `remaining` unused ones are left. */
  | { type: 'mfa.recovery_code_used'; at: Date; userId: string; remaining: number }
  | { type: 'refresh_token.reused'; at: Date; userId: string; sessionId: string }
  | { type: 'password.changed'; at: Date; userId: string }
  /** A password set through an emailed reset code; every session of the user was revoked. */
  | { type: 'password.reset'; at: Date; userId: string; address: string }
  /** A session proved its user again (`sessions.reauthenticate`): its `authenticatedAt` moved. */
  | { type: 'session.reauthenticated'; at: Date; userId: string; sessionId: string; method: AuthMethod }
  | { type: 'email.added'; at: Date; userId: string; address: string }
  | { type: 'email.verified'; at: Date; userId: string; address: string }
  | { type: 'email.removed'; at: Date; userId: string; address: string }
  /**
   * An unverified address was taken from the account holding it: someone proved control of it, or
   * of another address of an unproven account, by a code login (`proven_elsewhere`), or registered it
   * after it stayed unverified for `unverifiedEmailClaimAfterMs` (`registered_elsewhere`).
   */
  | {
      type: 'email.released';
      at: Date;
      userId: string;
      address: string;
      reason: 'proven_elsewhere' | 'registered_elsewhere';
    }
  /**
   * A code login proved control of the first verified address of an account: the password and the
   * sessions set up before, by whoever registered the address, stopped working (pre-hijacking).
   */
  | { type: 'account.claimed'; at: Date; userId: string; address: string; passwordRemoved: boolean }
  | { type: 'email.delivery_failed'; at: Date; address: string; purpose: CodePurpose | 'invitation' }
  | { type: 'client.created'; at: Date; clientId: string; organizationId: string }
  | { type: 'client.updated'; at: Date; clientId: string; organizationId: string }
  | { type: 'client.rotated'; at: Date; clientId: string; organizationId: string }
  | { type: 'client.deleted'; at: Date; clientId: string; organizationId: string }
  | { type: 'client.restrictions_changed'; at: Date; clientId: string; organizationId: string }
  | {
      type: 'membership.changed';
      at: Date;
      organizationId: string;
      userId: string;
      change: 'added' | 'role_changed' | 'removed';
      role: MembershipRole | null;
    }
  | { type: 'organization.deleted'; at: Date; organizationId: string }
  /** An owner (or a system caller) turned the organization's two-factor requirement on or off. */
  | {
      type: 'organization.mfa_requirement_changed';
      at: Date;
      organizationId: string;
      requireMfa: boolean;
      byUserId: string | null;
      byClientId: string | null;
    }
  /** An invitation was sent (`byUserId` / `byClientId`: who invited). */
  | {
      type: 'invitation.created';
      at: Date;
      invitationId: string;
      organizationId: string;
      address: string;
      role: MembershipRole;
      byUserId: string | null;
      byClientId: string | null;
    }
  /** A user accepted through a verified address; `joined` is false when they already were a member. */
  | {
      type: 'invitation.accepted';
      at: Date;
      invitationId: string;
      organizationId: string;
      address: string;
      userId: string;
      membershipId: string;
      joined: boolean;
    }
  | {
      type: 'invitation.declined';
      at: Date;
      invitationId: string;
      organizationId: string;
      address: string;
      userId: string;
    }
  /**
   * An invitation's token stopped working before use: revoked by an admin (`byUserId` / `byClientId`),
   * replaced by a newer invitation to the same address, or gone with its organization.
   */
  | {
      type: 'invitation.revoked';
      at: Date;
      invitationId: string;
      organizationId: string;
      address: string;
      reason: 'revoked' | 'replaced' | 'organization_deleted';
      byUserId: string | null;
      byClientId: string | null;
    };

export type SessionRevokeReason =
  | 'logout'
  | 'logout_all'
  | 'revoked_by_user'
  | 'revoked_by_admin'
  | 'password_changed'
  | 'password_reset'
  | 'user_deleted'
  | 'user_banned'
  | 'refresh_token_reused'
  /** The user opened more than `maxSessionsPerUser` sessions: the oldest went. */
  | 'session_limit'
  /** The account was claimed by a code login (see `account.claimed`). */
  | 'account_claimed';

export type LoginFailureReason =
  | 'invalid_credentials'
  | 'invalid_code'
  | 'rate_limited'
  | 'banned'
  | 'email_not_verified'
  /** The credentials changed while the login was in flight: it opens nothing. */
  | 'credentials_changed'
  /** The code was right, but its unverified address hung on an account proven by another address. */
  | 'address_released'
  /** A second factor (`POST /authn/mfa`) was wrong, replayed or used, or its challenge was. */
  | 'invalid_mfa_code'
  | 'invalid_mfa_challenge';

export type AccountsEventType = AccountsEvent['type'];
