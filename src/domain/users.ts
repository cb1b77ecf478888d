import type * as t from 'io-ts';
import { Err, Ok, type Result } from 'ts-results';
import type { LoginEmail, PublicUser, User, UserRole } from '../ports/entities';
import type { Io, UserPatch } from '../ports/io';
import {
  canReadEverything,
  checkSelfOrSystem,
  forbiddenFor,
  hiddenFrom,
  isSelf,
  isSystemCaller,
} from './authorization';
import { deliverCodes } from './code-delivery';
import { decode, Email, listOf, Name, PasswordInput, struct, UserRoleCodec, weakPassword } from './codecs';
import { invalidateCodesOf, prepareCode } from './codes';
import { addMs, type Caller, type Deps, inTransaction, NO_REQUEST_INFO, type RequestInfo } from './context';
import { splitFields, storable, withCustomFields, withFields } from './custom-fields';
import { type AccountsError, fail } from './errors';
import { actorOf, inTransactionWithEvents, recordEvent, transactWithEvents } from './event-log';
import { firstLimitPassed, forgive, passwordGuessLimits, perIpLimit } from './limits';
import { recordMembershipChanged } from './organizations';
import { newPasswordRefusal } from './password-policy';
import { changeCredentials } from './session-opening';
import { requireRecentAuthentication } from './step-up';
import { hasTwoFactor } from './two-factor';
import { resolveUserId } from './user-ref';

/** `POST /users`: registration never accepts roles (an unknown field is refused). */
export const RegisterInput = struct('RegisterInput', { name: Name, email: Email }, { password: PasswordInput });
export type RegisterInput = t.TypeOf<typeof RegisterInput>;

export const UpdateUserInput = struct('UpdateUserInput', {}, { name: Name });
export type UpdateUserInput = t.TypeOf<typeof UpdateUserInput>;

export const ChangePasswordInput = struct(
  'ChangePasswordInput',
  { newPassword: PasswordInput },
  { currentPassword: PasswordInput },
);
export type ChangePasswordInput = t.TypeOf<typeof ChangePasswordInput>;

export const SetRolesInput = struct('SetRolesInput', { roles: listOf(UserRoleCodec, 0, 3) });
export type SetRolesInput = t.TypeOf<typeof SetRolesInput>;

/** A user as callers see it: never the password hash. */
export function toPublicUser(user: User, emails?: LoginEmail[]): PublicUser {
  const view: PublicUser = {
    id: user.id,
    name: user.name,
    roles: [...user.roles],
    hasPassword: user.passwordHash !== null,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
    bannedAt: user.bannedAt,
  };
  if (emails) view.emails = emails;
  return withCustomFields(view, user.fields);
}

/**
 * Registration, profile, password, deletion, bans and roles (docs/security-rules.md §2, §6, §8). A `userId` argument
 * may be `'me'`, the calling user (`resolveUserId`).
 */
export class UserService {
  constructor(private readonly deps: Deps) {}

  /**
   * Creates a user with one unverified login email and sends it a verify-email code; user, email and
   * code are written in one transaction. The password (optional: passwordless users log in by code) is
   * hashed before the transaction opens, so no connection is held during bcrypt.
   */
  async register(input: RegisterInput, request: RequestInfo): Promise<Result<PublicUser, AccountsError>> {
    const { io, lib } = this.deps;
    const decoded = decode(withFields(RegisterInput, this.deps.fields?.user, 'create'), input);
    if (decoded.err) return decoded;
    const { own, custom } = splitFields(decoded.val, this.deps.fields?.user);
    const { name, email, password } = own;
    const fitting = storable('user', custom ?? {}, this.deps.fields?.user);
    if (fitting.err) return fitting;

    if (password !== undefined) {
      const problems = lib.checkPassword(password, { email, name });
      if (problems.length > 0) return fail('WEAK_PASSWORD', weakPassword('password', problems));
    }
    // Counted after the policy (a weak password is a validation failure) but before the address check,
    // so probing sign-up for taken addresses is throttled like any registration.
    const { config } = lib;
    const limited = await firstLimitPassed(
      this.deps,
      perIpLimit(config, 'register', request.ip, config.registrationsPerIp, config.registrationWindowMs),
    );
    if (limited) return limited;
    const now = lib.now();
    const held = await io.findLoginEmail(email);
    // An address someone added and never proved is theirs only for a while (docs/security-rules.md §4, pre-hijacking).
    const stale =
      held !== null && held.verifiedAt === null && held.createdAt <= addMs(now, -config.unverifiedEmailClaimAfterMs);
    if (held && !stale) return fail('EMAIL_TAKEN', { details: [{ path: 'email', message: 'is already in use' }] });
    const passwordHash = password === undefined ? null : await lib.hashPassword(password);

    const user: User = {
      id: lib.newId('user'),
      name,
      passwordHash,
      roles: ['user'],
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
      bannedAt: null,
      credentialVersion: 0,
      fields: custom ?? {},
    };
    const loginEmail: LoginEmail = { address: email, userId: user.id, verifiedAt: null, createdAt: now };
    const created = await inTransactionWithEvents(this.deps, actorOf(undefined, request), async (tx) => {
      const released = held ? await this.releaseStaleAddress(tx, held.userId, email) : false;
      await tx.insertUser(user);
      // The unique index decides between two concurrent registrations of one address.
      if (!(await tx.insertLoginEmail(loginEmail))) {
        return fail('EMAIL_TAKEN', { details: [{ path: 'email', message: 'is already in use' }] });
      }
      const message = await prepareCode(tx, lib, { purpose: 'verify-email', address: email, registration: true });
      if (held && released) {
        recordEvent(tx, {
          type: 'email.released',
          at: now,
          userId: held.userId,
          address: email,
          reason: 'registered_elsewhere',
        });
      }
      recordEvent(tx, { type: 'user.registered', at: now, userId: user.id });
      recordEvent(tx, { type: 'email.added', at: now, userId: user.id, address: email });
      return Ok({ message });
    });
    if (created.err) return created;
    await deliverCodes(this.deps, [created.val.message]);
    return Ok(toPublicUser(user, [loginEmail]));
  }

  /**
   * Takes a stale unverified address from the account holding it (in the registering transaction,
   * that account locked first), when the account keeps another address: a user keeps at least one,
   * and someone else's registration must not lock a holder out of their account (docs/security-rules.md §2, §7). A
   * holder whose only address it is stays; the mailbox's owner takes the account over by a code login
   * instead (pre-hijacking). The release is conditional, so an owner who verifies meanwhile keeps it.
   */
  private async releaseStaleAddress(tx: Io, holderId: string, address: string): Promise<boolean> {
    const { lib } = this.deps;
    const now = lib.now();
    await tx.lockUser(holderId);
    const others = (await tx.listLoginEmails(holderId)).filter((email) => email.address !== address);
    if (others.length === 0) return false;
    const cutoff = addMs(now, 1 - lib.config.unverifiedEmailClaimAfterMs);
    if (!(await tx.releaseUnverifiedLoginEmail(address, cutoff))) return false;
    await invalidateCodesOf(tx, [address], now);
    return true;
  }

  /** Self, employees and system callers may read a user; anyone else gets NOT_FOUND. */
  async get(caller: Caller, userRef: string): Promise<Result<PublicUser, AccountsError>> {
    const target = resolveUserId(caller, userRef);
    if (target.err) return target;
    const userId = target.val;
    if (!isSelf(caller, userId) && !canReadEverything(caller)) return hiddenFrom(caller);
    const user = await this.findLiveUser(userId);
    if (!user) return fail('NOT_FOUND');
    const view = toPublicUser(user, await this.deps.io.listLoginEmails(userId));
    return Ok({ ...view, mfa: { totp: await hasTwoFactor(this.deps.io, userId) } });
  }

  async update(caller: Caller, userRef: string, input: UpdateUserInput): Promise<Result<PublicUser, AccountsError>> {
    const target = resolveUserId(caller, userRef);
    if (target.err) return target;
    const userId = target.val;
    const allowed = checkSelfOrSystem(caller, userId);
    if (allowed.err) return allowed;
    const decoded = decode(withFields(UpdateUserInput, this.deps.fields?.user, 'patch'), input);
    if (decoded.err) return decoded;
    const { own, custom } = splitFields(decoded.val, this.deps.fields?.user);
    if (own.name === undefined && custom === undefined) {
      const user = await this.findLiveUser(userId);
      if (!user) return fail('NOT_FOUND');
      return Ok(toPublicUser(user, await this.deps.io.listLoginEmails(userId)));
    }
    // Under the user's lock: two changes of different custom fields both land.
    const updated = await inTransaction(this.deps.io, async (tx) => {
      const user = await tx.lockUser(userId);
      if (!user || user.deletedAt) return fail('NOT_FOUND');
      const patch: UserPatch = { updatedAt: this.deps.lib.now() };
      if (own.name !== undefined) patch.name = own.name;
      if (custom !== undefined) {
        const fitting = storable('user', { ...user.fields, ...custom }, this.deps.fields?.user);
        if (fitting.err) return fitting;
        patch.fields = fitting.val;
      }
      await tx.updateUser(userId, patch);
      return Ok({ ...user, ...patch });
    });
    if (updated.err) return updated;
    return Ok(toPublicUser(updated.val, await this.deps.io.listLoginEmails(userId)));
  }

  /**
   * Sets a new password. The user changing their own password must give the current one when one is
   * set, and those guesses are limited like password logins (per user and IP, per user, per IP); a
   * system caller may reset it without. The change moves the user's credential version on, so every
   * other session dies, including one whose login was checking the old password meanwhile; the
   * session making the change survives.
   */
  async changePassword(
    caller: Caller,
    userRef: string,
    input: ChangePasswordInput,
    request: RequestInfo = NO_REQUEST_INFO,
  ): Promise<Result<void, AccountsError>> {
    const target = resolveUserId(caller, userRef);
    if (target.err) return target;
    const userId = target.val;
    const { io, lib } = this.deps;
    const allowed = checkSelfOrSystem(caller, userId);
    if (allowed.err) return allowed;
    const decoded = decode(ChangePasswordInput, input);
    if (decoded.err) return decoded;
    const { currentPassword, newPassword } = decoded.val;
    const user = await this.findLiveUser(userId);
    if (!user) return fail('NOT_FOUND');

    const self = isSelf(caller, userId);
    if (self && user.passwordHash !== null && currentPassword !== undefined) {
      const limits = passwordGuessLimits(lib.config, `user:${userId}`, request.ip);
      const limited = await firstLimitPassed(this.deps, limits);
      if (limited) return limited;
      if (!(await lib.verifyPassword(currentPassword, user.passwordHash))) return fail('INVALID_CURRENT_PASSWORD');
      await forgive(this.deps, limits);
    } else {
      // Without the current password (a forgotten one, or a first one): a recent login proves the
      // user instead, so a stolen or long-open session cannot set a password of its own (step-up).
      const recent = await requireRecentAuthentication(this.deps, caller);
      if (recent.err) return recent;
    }
    const refusal = await newPasswordRefusal(io, lib, user, 'newPassword', newPassword);
    if (refusal) return Err(refusal);

    const passwordHash = await lib.hashPassword(newPassword);
    const now = lib.now();
    const keepSessionId = self ? (caller.user.sessionId ?? undefined) : undefined;
    const changed = await inTransactionWithEvents(this.deps, actorOf(caller, request), async (tx) => {
      const current = await tx.lockUser(userId);
      if (!current || current.deletedAt) return fail('NOT_FOUND');
      // The current password was proven against the hash read above; a change that won meanwhile wins.
      if (self && current.credentialVersion !== user.credentialVersion) return fail('INVALID_CURRENT_PASSWORD');
      await changeCredentials(tx, current, now, { passwordHash }, keepSessionId);
      recordEvent(tx, { type: 'password.changed', at: now, userId });
      recordEvent(tx, { type: 'session.revoked', at: now, userId, sessionId: null, reason: 'password_changed' });
      return Ok(undefined);
    });
    if (changed.err) return changed;
    return Ok(undefined);
  }

  /**
   * Deletes an account: the user is kept as a tombstone (ids in logs and events stay meaningful), its
   * login emails are freed (their pending codes die with them), its memberships removed and every
   * session revoked, in one transaction. The sole owner of an organization must first hand it over or
   * delete it (`LAST_OWNER`), so no organization is left without an owner.
   */
  async delete(caller: Caller, userRef: string): Promise<Result<void, AccountsError>> {
    const target = resolveUserId(caller, userRef);
    if (target.err) return target;
    const userId = target.val;
    const { lib } = this.deps;
    const allowed = checkSelfOrSystem(caller, userId);
    if (allowed.err) return allowed;
    const recent = await requireRecentAuthentication(this.deps, caller);
    if (recent.err) return recent;
    const now = lib.now();
    const deleted = await inTransactionWithEvents(this.deps, actorOf(caller), async (tx) => {
      const user = await tx.lockUser(userId);
      if (!user || user.deletedAt) return fail('NOT_FOUND');
      const memberships = await tx.listMembershipsOfUser(userId);
      for (const membership of memberships) {
        if (membership.role === 'owner' && (await tx.countOwners(membership.organizationId)) <= 1) {
          return fail('LAST_OWNER', {
            message: `The user is the only owner of organization ${membership.organizationId}: transfer or delete it first.`,
          });
        }
      }
      const emails = await tx.listLoginEmails(userId);
      await changeCredentials(tx, user, now, { deletedAt: now });
      await invalidateCodesOf(
        tx,
        emails.map((email) => email.address),
        now,
      );
      await tx.deleteAllLoginEmails(userId);
      await tx.deleteMembershipsOfUser(userId);
      recordEvent(tx, { type: 'user.deleted', at: now, userId, byUserId: caller.user?.id ?? null });
      recordEvent(tx, { type: 'session.revoked', at: now, userId, sessionId: null, reason: 'user_deleted' });
      // Each organization's audit trail sees its member leave, not only the user's own trail.
      for (const membership of memberships) recordMembershipChanged(tx, now, membership, 'removed', null);
      return Ok(undefined);
    });
    if (deleted.err) return deleted;
    return Ok(undefined);
  }

  /** Bans a user (system callers only) and revokes all their sessions. */
  async ban(caller: Caller, userId: string): Promise<Result<PublicUser, AccountsError>> {
    return this.setBanned(caller, userId, true);
  }

  async unban(caller: Caller, userId: string): Promise<Result<PublicUser, AccountsError>> {
    return this.setBanned(caller, userId, false);
  }

  /** Replaces a user's roles. Only sysadmins (and system clients) grant or remove roles (docs/security-rules.md §6). */
  async setRoles(caller: Caller, userRef: string, input: SetRolesInput): Promise<Result<PublicUser, AccountsError>> {
    const target = resolveUserId(caller, userRef);
    if (target.err) return target;
    const userId = target.val;
    const { lib } = this.deps;
    if (!isSystemCaller(caller)) return forbiddenFor(caller);
    // Granting roles (sysadmin included) is worth more than any key rotation: a recent login.
    const recent = await requireRecentAuthentication(this.deps, caller);
    if (recent.err) return recent;
    const decoded = decode(SetRolesInput, input);
    if (decoded.err) return decoded;
    const user = await this.findLiveUser(userId);
    if (!user) return fail('NOT_FOUND');
    const roles: UserRole[] = [...new Set(decoded.val.roles)];
    const now = lib.now();
    await transactWithEvents(this.deps, actorOf(caller), async (tx) => {
      await tx.updateUser(userId, { roles, updatedAt: now });
      recordEvent(tx, { type: 'user.roles_changed', at: now, userId, roles });
    });
    return Ok(toPublicUser({ ...user, roles, updatedAt: now }));
  }

  /**
   * A ban revokes every session and moves the credential version on, so a login that was in flight
   * during the ban cannot come back to life at the unban.
   */
  private async setBanned(
    caller: Caller,
    userRef: string,
    banned: boolean,
  ): Promise<Result<PublicUser, AccountsError>> {
    const target = resolveUserId(caller, userRef);
    if (target.err) return target;
    const userId = target.val;
    const { lib } = this.deps;
    if (!isSystemCaller(caller)) return forbiddenFor(caller);
    const now = lib.now();
    const updated = await inTransactionWithEvents<User>(this.deps, actorOf(caller), async (tx) => {
      const user = await tx.lockUser(userId);
      if (!user || user.deletedAt) return fail('NOT_FOUND');
      recordEvent(tx, { type: banned ? 'user.banned' : 'user.unbanned', at: now, userId });
      if (!banned) {
        await tx.updateUser(userId, { bannedAt: null, updatedAt: now });
        return Ok({ ...user, bannedAt: null, updatedAt: now });
      }
      const bannedAt = user.bannedAt ?? now;
      const credentialVersion = await changeCredentials(tx, user, now, { bannedAt });
      recordEvent(tx, { type: 'session.revoked', at: now, userId, sessionId: null, reason: 'user_banned' });
      return Ok({ ...user, bannedAt, credentialVersion, updatedAt: now });
    });
    if (updated.err) return updated;
    return Ok(toPublicUser(updated.val));
  }

  private async findLiveUser(userId: string): Promise<User | null> {
    const user = await this.deps.io.findUserById(userId);
    return user && !user.deletedAt ? user : null;
  }
}
