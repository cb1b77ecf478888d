import type { Knex } from 'knex';
import { InvalidCustomFieldsError } from '../../ports/custom-fields';
import type {
  AccessRestriction,
  AuthMethod,
  Client,
  CustomFields,
  Invitation,
  LoginEmail,
  Membership,
  MembershipRole,
  MfaChallenge,
  Organization,
  OrganizationPatch,
  RecoveryCode,
  RefreshToken,
  Session,
  TotpFactor,
  User,
  VerificationCode,
} from '../../ports/entities';
import type {
  ClientPatch,
  CodeScope,
  Io,
  PageRequest,
  RefreshRotation,
  UsableCodeFilter,
  UserPatch,
} from '../../ports/io';
import type { AppendOptions, EventRecord, ListEventsQuery, StoredEvent } from '../../ports/outbox';
import type { SqlContext } from './context';
import { assertUtcMysqlDates, dialectOf, isLockConflict } from './dialect';
import { SqlIoError } from './errors';
import { SqlEventOutbox } from './event-outbox';
import { opensReadCommittedSessions } from './isolation';
import * as clients from './queries/clients';
import * as codes from './queries/codes';
import * as invitations from './queries/invitations';
import * as organizations from './queries/organizations';
import * as sessions from './queries/sessions';
import * as twoFactor from './queries/two-factor';
import * as users from './queries/users';

/** A transaction that loses a deadlock runs again this many times in all before the error surfaces. */
const MAX_TRANSACTION_ATTEMPTS = 8;

/**
 * The `Io` port over a knex instance: MySQL/MariaDB (mysql2), PostgreSQL (pg) or SQLite
 * (better-sqlite3). The caller owns the knex pool (and closes it); the schema comes from `migrate()`
 * or `db/schema.sql`.
 *
 * Every winner-deciding method is one conditional statement whose affected-row count decides, and
 * every driver failure is rethrown as a `SqlIoError` that carries no SQL, bound value or hash.
 */
export class SqlIo implements Io {
  private readonly sql: SqlContext;

  /**
   * @param knex the pool to run on, or a knex transaction: the `SqlIo` then works inside it (and its
   *   `transaction()` joins it), which lets an application write its own rows and the accounts rows
   *   atomically.
   */
  constructor(knex: Knex | Knex.Transaction) {
    const dialect = dialectOf(knex);
    if (dialect === 'mysql') assertUtcMysqlDates(knex);
    this.sql = { db: knex, dialect, inTransaction: (knex as Knex.Transaction).isTransaction === true };
  }

  /**
   * On MySQL/MariaDB the transaction runs at READ COMMITTED: under InnoDB's default REPEATABLE READ,
   * an UPDATE by a secondary index (invalidating a state's codes, revoking a user's sessions) takes
   * gap locks that concurrent INSERTs into the same gap deadlock on. Every decision that needs a winner
   * is a conditional statement or a `FOR UPDATE` lock, which READ COMMITTED keeps. A transaction that
   * still loses a deadlock or a serialization failure (the database rolled it back whole) runs again, up to
   * `MAX_TRANSACTION_ATTEMPTS` times: `work` must therefore touch nothing but the `Io` it is given
   * (the domain sends emails and events only after its transactions commit).
   */
  async transaction<T>(work: (tx: Io) => Promise<T>): Promise<T> {
    if (this.sql.inTransaction) return work(this);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transactionOnce(work);
      } catch (error) {
        if (!isLockConflict(error) || attempt >= MAX_TRANSACTION_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 10 * 2 ** attempt)));
      }
    }
  }

  private async transactionOnce<T>(work: (tx: Io) => Promise<T>): Promise<T> {
    const failure: { error?: unknown } = {};
    const config: Knex.TransactionConfig | undefined =
      this.sql.dialect === 'mysql' && !opensReadCommittedSessions(this.sql.db)
        ? { isolationLevel: 'read committed' }
        : undefined;
    try {
      return await (this.sql.db as Knex).transaction(async (trx) => {
        try {
          return await work(new SqlIo(trx));
        } catch (error) {
          failure.error = error;
          throw error;
        }
      }, config);
    } catch (error) {
      // The work's own error (a domain rollback, a lost connection) wins over a failed ROLLBACK.
      if ('error' in failure) throw failure.error;
      throw SqlIoError.from('transaction', error);
    }
  }

  private async run<T>(method: string, query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (error) {
      // Fields refused before any statement ran: the caller's mistake, not the database's.
      if (error instanceof InvalidCustomFieldsError) throw error;
      throw SqlIoError.from(method, error);
    }
  }

  insertUser(user: User): Promise<void> {
    return this.run('insertUser', () => users.insertUser(this.sql, user));
  }

  findUserById(id: string): Promise<User | null> {
    return this.run('findUserById', () => users.findUserById(this.sql, id));
  }

  lockUser(id: string): Promise<User | null> {
    return this.run('lockUser', () => users.lockUser(this.sql, id));
  }
  lockUserWithSession(userId: string, sessionId: string): Promise<{ user: User; session: Session } | null> {
    return this.run('lockUserWithSession', () => users.lockUserWithSession(this.sql, userId, sessionId));
  }

  findUserByEmail(address: string): Promise<{ user: User; email: LoginEmail } | null> {
    return this.run('findUserByEmail', () => users.findUserByEmail(this.sql, address));
  }

  updateUser(id: string, patch: UserPatch): Promise<boolean> {
    return this.run('updateUser', () => users.updateUser(this.sql, id, patch));
  }

  insertLoginEmail(email: LoginEmail): Promise<boolean> {
    return this.run('insertLoginEmail', () => users.insertLoginEmail(this.sql, email));
  }

  findLoginEmail(address: string): Promise<LoginEmail | null> {
    return this.run('findLoginEmail', () => users.findLoginEmail(this.sql, address));
  }

  listLoginEmails(userId: string): Promise<LoginEmail[]> {
    return this.run('listLoginEmails', () => users.listLoginEmails(this.sql, userId));
  }

  listLoginEmailsPage(userId: string, page: PageRequest): Promise<LoginEmail[]> {
    return this.run('listLoginEmailsPage', () => users.listLoginEmailsPage(this.sql, userId, page));
  }

  deleteLoginEmails(userId: string, addresses: string[]): Promise<number> {
    return this.run('deleteLoginEmails', () => users.deleteLoginEmails(this.sql, userId, addresses));
  }

  deleteAllLoginEmails(userId: string): Promise<number> {
    return this.run('deleteAllLoginEmails', () => users.deleteAllLoginEmails(this.sql, userId));
  }

  markLoginEmailVerified(address: string, at: Date): Promise<boolean> {
    return this.run('markLoginEmailVerified', () => users.markLoginEmailVerified(this.sql, address, at));
  }

  releaseUnverifiedLoginEmail(address: string, createdBefore: Date): Promise<boolean> {
    return this.run('releaseUnverifiedLoginEmail', () =>
      users.releaseUnverifiedLoginEmail(this.sql, address, createdBefore),
    );
  }

  insertVerificationCode(code: VerificationCode): Promise<void> {
    return this.run('insertVerificationCode', () => codes.insertVerificationCode(this.sql, code));
  }

  findUsableCode(filter: UsableCodeFilter, now: Date): Promise<VerificationCode | null> {
    return this.run('findUsableCode', () => codes.findUsableCode(this.sql, filter, now));
  }

  reserveCodeAttempt(id: string, maxAttempts: number, now: Date): Promise<boolean> {
    return this.run('reserveCodeAttempt', () => codes.reserveCodeAttempt(this.sql, id, maxAttempts, now));
  }

  consumeCode(id: string, at: Date): Promise<boolean> {
    return this.run('consumeCode', () => codes.consumeCode(this.sql, id, at));
  }

  invalidateCodes(scope: CodeScope, at: Date): Promise<number> {
    return this.run('invalidateCodes', () => codes.invalidateCodes(this.sql, scope, at));
  }

  countCodesSentSince(address: string, since: Date): Promise<number> {
    return this.run('countCodesSentSince', () => codes.countCodesSentSince(this.sql, address, since));
  }

  insertSession(session: Session): Promise<void> {
    return this.run('insertSession', () => sessions.insertSession(this.sql, session));
  }

  findSessionById(id: string): Promise<Session | null> {
    return this.run('findSessionById', () => sessions.findSessionById(this.sql, id));
  }

  findSessionWithUser(sessionId: string): Promise<{ session: Session; user: User } | null> {
    return this.run('findSessionWithUser', () => sessions.findSessionWithUser(this.sql, sessionId));
  }

  listActiveSessions(userId: string, now: Date): Promise<Session[]> {
    return this.run('listActiveSessions', () => sessions.listActiveSessions(this.sql, userId, now));
  }

  listActiveSessionsPage(userId: string, now: Date, page: PageRequest): Promise<Session[]> {
    return this.run('listActiveSessionsPage', () => sessions.listActiveSessionsPage(this.sql, userId, now, page));
  }

  touchSession(id: string, lastUsedAt: Date, idleExpiresAt: Date): Promise<void> {
    return this.run('touchSession', () => sessions.touchSession(this.sql, id, lastUsedAt, idleExpiresAt));
  }

  revokeSession(id: string, at: Date): Promise<boolean> {
    return this.run('revokeSession', () => sessions.revokeSession(this.sql, id, at));
  }

  revokeUserSessions(userId: string, at: Date, exceptSessionId?: string): Promise<number> {
    return this.run('revokeUserSessions', () => sessions.revokeUserSessions(this.sql, userId, at, exceptSessionId));
  }

  revokeOldestSessions(userId: string, keep: number, now: Date): Promise<string[]> {
    return this.run('revokeOldestSessions', () => sessions.revokeOldestSessions(this.sql, userId, keep, now));
  }

  setSessionAuthentication(id: string, method: AuthMethod, at: Date): Promise<boolean> {
    return this.run('setSessionAuthentication', () => sessions.setSessionAuthentication(this.sql, id, method, at));
  }

  setSessionCredentialVersion(id: string, credentialVersion: number): Promise<void> {
    return this.run('setSessionCredentialVersion', () =>
      sessions.setSessionCredentialVersion(this.sql, id, credentialVersion),
    );
  }

  insertRefreshToken(token: RefreshToken): Promise<void> {
    return this.run('insertRefreshToken', () => sessions.insertRefreshToken(this.sql, token));
  }

  findRefreshToken(tokenHash: string): Promise<RefreshToken | null> {
    return this.run('findRefreshToken', () => sessions.findRefreshToken(this.sql, tokenHash));
  }

  findRefreshTokenWithSession(
    tokenHash: string,
  ): Promise<{ token: RefreshToken; session: Session; user: User } | null> {
    return this.run('findRefreshTokenWithSession', () => sessions.findRefreshTokenWithSession(this.sql, tokenHash));
  }

  rotateRefreshToken(rotation: RefreshRotation): Promise<boolean> {
    return this.run('rotateRefreshToken', () => sessions.rotateRefreshToken(this.sql, rotation));
  }

  consumeRefreshToken(tokenHash: string, at: Date): Promise<boolean> {
    return this.run('consumeRefreshToken', () => sessions.consumeRefreshToken(this.sql, tokenHash, at));
  }

  insertOrganization(organization: Organization): Promise<void> {
    return this.run('insertOrganization', () => organizations.insertOrganization(this.sql, organization));
  }

  findOrganizationById(id: string): Promise<Organization | null> {
    return this.run('findOrganizationById', () => organizations.findOrganizationById(this.sql, id));
  }
  lockOrganization(id: string): Promise<Organization | null> {
    return this.run('lockOrganization', () => organizations.lockOrganization(this.sql, id));
  }

  updateOrganization(id: string, patch: OrganizationPatch): Promise<boolean> {
    return this.run('updateOrganization', () => organizations.updateOrganization(this.sql, id, patch));
  }

  deleteOrganization(id: string): Promise<boolean> {
    return this.run('deleteOrganization', () => organizations.deleteOrganization(this.sql, id));
  }

  insertMembership(membership: Membership): Promise<boolean> {
    return this.run('insertMembership', () => organizations.insertMembership(this.sql, membership));
  }

  findMembershipById(id: string): Promise<Membership | null> {
    return this.run('findMembershipById', () => organizations.findMembershipById(this.sql, id));
  }

  findMembership(organizationId: string, userId: string): Promise<Membership | null> {
    return this.run('findMembership', () => organizations.findMembership(this.sql, organizationId, userId));
  }

  listMemberships(organizationId: string): Promise<Membership[]> {
    return this.run('listMemberships', () => organizations.listMemberships(this.sql, organizationId));
  }

  listMembershipsPage(organizationId: string, page: PageRequest): Promise<Membership[]> {
    return this.run('listMembershipsPage', () => organizations.listMembershipsPage(this.sql, organizationId, page));
  }

  listMembershipsOfUser(userId: string): Promise<Membership[]> {
    return this.run('listMembershipsOfUser', () => organizations.listMembershipsOfUser(this.sql, userId));
  }

  countOwners(organizationId: string): Promise<number> {
    return this.run('countOwners', () => organizations.countOwners(this.sql, organizationId));
  }

  updateMembershipRole(id: string, role: MembershipRole): Promise<boolean> {
    return this.run('updateMembershipRole', () => organizations.updateMembershipRole(this.sql, id, role));
  }

  updateMembershipFields(id: string, fields: CustomFields): Promise<boolean> {
    return this.run('updateMembershipFields', () => organizations.updateMembershipFields(this.sql, id, fields));
  }

  deleteMembership(id: string): Promise<boolean> {
    return this.run('deleteMembership', () => organizations.deleteMembership(this.sql, id));
  }

  deleteMembershipsOfUser(userId: string): Promise<number> {
    return this.run('deleteMembershipsOfUser', () => organizations.deleteMembershipsOfUser(this.sql, userId));
  }

  insertClient(client: Client): Promise<void> {
    return this.run('insertClient', () => clients.insertClient(this.sql, client));
  }

  findClientById(id: string): Promise<Client | null> {
    return this.run('findClientById', () => clients.findClientById(this.sql, id));
  }

  findClientWithRestrictions(id: string): Promise<{ client: Client; restrictions: AccessRestriction[] } | null> {
    return this.run('findClientWithRestrictions', () => clients.findClientWithRestrictions(this.sql, id));
  }

  listClients(organizationId: string): Promise<Client[]> {
    return this.run('listClients', () => clients.listClients(this.sql, organizationId));
  }

  listClientsPage(organizationId: string, page: PageRequest): Promise<Client[]> {
    return this.run('listClientsPage', () => clients.listClientsPage(this.sql, organizationId, page));
  }

  updateClient(id: string, patch: ClientPatch): Promise<boolean> {
    return this.run('updateClient', () => clients.updateClient(this.sql, id, patch));
  }

  touchClientLastUsed(id: string, at: Date, staleBefore: Date): Promise<boolean> {
    return this.run('touchClientLastUsed', () => clients.touchClientLastUsed(this.sql, id, at, staleBefore));
  }

  insertAccessRestrictions(restrictions: AccessRestriction[]): Promise<void> {
    return this.run('insertAccessRestrictions', () => clients.insertAccessRestrictions(this.sql, restrictions));
  }

  listAccessRestrictions(clientId: string): Promise<AccessRestriction[]> {
    return this.run('listAccessRestrictions', () => clients.listAccessRestrictions(this.sql, clientId));
  }

  listAccessRestrictionsPage(clientId: string, page: PageRequest): Promise<AccessRestriction[]> {
    return this.run('listAccessRestrictionsPage', () => clients.listAccessRestrictionsPage(this.sql, clientId, page));
  }

  deleteAccessRestrictions(clientId: string, ids: string[]): Promise<number> {
    return this.run('deleteAccessRestrictions', () => clients.deleteAccessRestrictions(this.sql, clientId, ids));
  }

  putInvitation(invitation: Invitation): Promise<void> {
    // InnoDB may pick a deadlock victim among concurrent upserts of one (organization, address): on
    // its own, the statement runs as a transaction, which a lost deadlock runs again.
    if (!this.sql.inTransaction) return this.transaction((tx) => tx.putInvitation(invitation));
    return this.run('putInvitation', () => invitations.putInvitation(this.sql, invitation));
  }

  findInvitationById(id: string): Promise<Invitation | null> {
    return this.run('findInvitationById', () => invitations.findInvitationById(this.sql, id));
  }

  findInvitationByTokenHash(tokenHash: string): Promise<Invitation | null> {
    return this.run('findInvitationByTokenHash', () => invitations.findInvitationByTokenHash(this.sql, tokenHash));
  }

  findInvitationFor(organizationId: string, address: string): Promise<Invitation | null> {
    return this.run('findInvitationFor', () => invitations.findInvitationFor(this.sql, organizationId, address));
  }

  listInvitations(organizationId: string, now: Date): Promise<Invitation[]> {
    return this.run('listInvitations', () => invitations.listInvitations(this.sql, organizationId, now));
  }

  listInvitationsPage(organizationId: string, now: Date, page: PageRequest): Promise<Invitation[]> {
    return this.run('listInvitationsPage', () => invitations.listInvitationsPage(this.sql, organizationId, now, page));
  }

  listInvitationsTo(
    addresses: string[],
    now: Date,
    page: PageRequest,
  ): Promise<Array<{ invitation: Invitation; organizationName: string }>> {
    return this.run('listInvitationsTo', () => invitations.listInvitationsTo(this.sql, addresses, now, page));
  }

  consumeInvitation(id: string, now: Date): Promise<boolean> {
    return this.run('consumeInvitation', () => invitations.consumeInvitation(this.sql, id, now));
  }

  deleteInvitation(id: string): Promise<boolean> {
    return this.run('deleteInvitation', () => invitations.deleteInvitation(this.sql, id));
  }

  putTotpFactor(factor: TotpFactor): Promise<void> {
    return this.run('putTotpFactor', () => twoFactor.putTotpFactor(this.sql, factor));
  }

  findTotpFactor(userId: string): Promise<TotpFactor | null> {
    return this.run('findTotpFactor', () => twoFactor.findTotpFactor(this.sql, userId));
  }

  confirmTotpFactor(userId: string, sealedSecret: string, step: number, at: Date): Promise<boolean> {
    return this.run('confirmTotpFactor', () => twoFactor.confirmTotpFactor(this.sql, userId, sealedSecret, step, at));
  }

  acceptTotpStep(userId: string, step: number): Promise<boolean> {
    return this.run('acceptTotpStep', () => twoFactor.acceptTotpStep(this.sql, userId, step));
  }

  deleteTwoFactor(userId: string): Promise<boolean> {
    return this.run('deleteTwoFactor', () => this.inOneTransaction((sql) => twoFactor.deleteTwoFactor(sql, userId)));
  }

  replaceRecoveryCodes(userId: string, codes: RecoveryCode[]): Promise<void> {
    return this.run('replaceRecoveryCodes', () =>
      this.inOneTransaction((sql) => twoFactor.replaceRecoveryCodes(sql, userId, codes)),
    );
  }

  useRecoveryCode(userId: string, codeHash: string, at: Date): Promise<boolean> {
    return this.run('useRecoveryCode', () => twoFactor.useRecoveryCode(this.sql, userId, codeHash, at));
  }

  countUnusedRecoveryCodes(userId: string): Promise<number> {
    return this.run('countUnusedRecoveryCodes', () => twoFactor.countUnusedRecoveryCodes(this.sql, userId));
  }

  insertMfaChallenge(challenge: MfaChallenge): Promise<void> {
    return this.run('insertMfaChallenge', () => twoFactor.insertMfaChallenge(this.sql, challenge));
  }

  deleteClosedMfaChallenges(userId: string, now: Date): Promise<number> {
    return this.run('deleteClosedMfaChallenges', () => twoFactor.deleteClosedMfaChallenges(this.sql, userId, now));
  }

  findMfaChallenge(tokenHash: string): Promise<MfaChallenge | null> {
    return this.run('findMfaChallenge', () => twoFactor.findMfaChallenge(this.sql, tokenHash));
  }

  reserveMfaChallengeAttempt(tokenHash: string, maxAttempts: number, now: Date): Promise<boolean> {
    return this.run('reserveMfaChallengeAttempt', () =>
      twoFactor.reserveMfaChallengeAttempt(this.sql, tokenHash, maxAttempts, now),
    );
  }

  consumeMfaChallenge(tokenHash: string, at: Date): Promise<boolean> {
    return this.run('consumeMfaChallenge', () => twoFactor.consumeMfaChallenge(this.sql, tokenHash, at));
  }

  /** Two statements that must land together: in the caller's transaction, or in one of their own. */
  private inOneTransaction<T>(write: (sql: SqlContext) => Promise<T>): Promise<T> {
    return this.transaction((tx) => write((tx as SqlIo).sql));
  }

  appendEvents(events: readonly EventRecord[], options?: AppendOptions): Promise<void> {
    return this.run('appendEvents', () => this.outbox().append(events, options));
  }
  listEvents(query: ListEventsQuery): Promise<StoredEvent[]> {
    return this.run('listEvents', () => this.outbox().list(query));
  }
  pruneEvents(olderThan: Date): Promise<number> {
    return this.run('pruneEvents', () => this.outbox().prune(olderThan));
  }

  /** The outbox on this `SqlIo`'s connection: inside its transaction when it is transaction-bound. */
  private outbox(): SqlEventOutbox {
    const { db, inTransaction } = this.sql;
    return inTransaction ? new SqlEventOutbox(db as Knex, db as Knex.Transaction) : new SqlEventOutbox(db as Knex);
  }
}
