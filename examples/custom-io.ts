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
} from '../src/ports/entities';
import type {
  ClientPatch,
  CodeScope,
  Io,
  PageRequest,
  RefreshRotation,
  UsableCodeFilter,
  UserPatch,
} from '../src/ports/io';
import type { AppendOptions, EventRecord, ListEventsQuery, StoredEvent } from '../src/ports/outbox';

/**
 * Way 2 of adopting the library: your own `Io`. This one wraps any other `Io` (the SQL one, say) and
 * reports how long each operation takes: the shape of a metrics, tracing or caching layer. It reports
 * operation names only, never arguments: they carry password, token and code hashes.
 *
 * A real storage implementation has the same shape, with queries where this delegates. Either way,
 * prove it with the exported conformance suite (see tests/examples/custom-io.test.ts):
 *
 *     import { runIoConformanceTests } from 'accounts-module/testing';
 *     runIoConformanceTests('timed memory', { create: async () => new TimedIo(new MemoryIo(), report) });
 */
export class TimedIo implements Io {
  constructor(
    private readonly inner: Io,
    private readonly report: (operation: string, milliseconds: number) => void,
  ) {}

  /** The transaction-bound `Io` is wrapped too, so operations inside transactions are timed as well. */
  transaction<T>(work: (tx: Io) => Promise<T>): Promise<T> {
    return this.timed('transaction', () => this.inner.transaction((tx) => work(new TimedIo(tx, this.report))));
  }

  private async timed<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await run();
    } finally {
      this.report(operation, performance.now() - started);
    }
  }

  insertUser(user: User): Promise<void> {
    return this.timed('insertUser', () => this.inner.insertUser(user));
  }

  findUserById(id: string): Promise<User | null> {
    return this.timed('findUserById', () => this.inner.findUserById(id));
  }

  lockUser(id: string): Promise<User | null> {
    return this.timed('lockUser', () => this.inner.lockUser(id));
  }

  lockUserWithSession(userId: string, sessionId: string): Promise<{ user: User; session: Session } | null> {
    return this.timed('lockUserWithSession', () => this.inner.lockUserWithSession(userId, sessionId));
  }

  updateUser(id: string, patch: UserPatch): Promise<boolean> {
    return this.timed('updateUser', () => this.inner.updateUser(id, patch));
  }

  insertLoginEmail(email: LoginEmail): Promise<boolean> {
    return this.timed('insertLoginEmail', () => this.inner.insertLoginEmail(email));
  }

  findLoginEmail(address: string): Promise<LoginEmail | null> {
    return this.timed('findLoginEmail', () => this.inner.findLoginEmail(address));
  }

  listLoginEmails(userId: string): Promise<LoginEmail[]> {
    return this.timed('listLoginEmails', () => this.inner.listLoginEmails(userId));
  }

  listLoginEmailsPage(userId: string, page: PageRequest): Promise<LoginEmail[]> {
    return this.timed('listLoginEmailsPage', () => this.inner.listLoginEmailsPage(userId, page));
  }

  deleteLoginEmails(userId: string, addresses: string[]): Promise<number> {
    return this.timed('deleteLoginEmails', () => this.inner.deleteLoginEmails(userId, addresses));
  }

  deleteAllLoginEmails(userId: string): Promise<number> {
    return this.timed('deleteAllLoginEmails', () => this.inner.deleteAllLoginEmails(userId));
  }

  markLoginEmailVerified(address: string, at: Date): Promise<boolean> {
    return this.timed('markLoginEmailVerified', () => this.inner.markLoginEmailVerified(address, at));
  }

  releaseUnverifiedLoginEmail(address: string, createdBefore: Date): Promise<boolean> {
    return this.timed('releaseUnverifiedLoginEmail', () =>
      this.inner.releaseUnverifiedLoginEmail(address, createdBefore),
    );
  }

  insertVerificationCode(code: VerificationCode): Promise<void> {
    return this.timed('insertVerificationCode', () => this.inner.insertVerificationCode(code));
  }

  findUsableCode(filter: UsableCodeFilter, now: Date): Promise<VerificationCode | null> {
    return this.timed('findUsableCode', () => this.inner.findUsableCode(filter, now));
  }

  reserveCodeAttempt(id: string, maxAttempts: number, now: Date): Promise<boolean> {
    return this.timed('reserveCodeAttempt', () => this.inner.reserveCodeAttempt(id, maxAttempts, now));
  }

  consumeCode(id: string, at: Date): Promise<boolean> {
    return this.timed('consumeCode', () => this.inner.consumeCode(id, at));
  }

  invalidateCodes(scope: CodeScope, at: Date): Promise<number> {
    return this.timed('invalidateCodes', () => this.inner.invalidateCodes(scope, at));
  }

  countCodesSentSince(address: string, since: Date): Promise<number> {
    return this.timed('countCodesSentSince', () => this.inner.countCodesSentSince(address, since));
  }

  insertSession(session: Session): Promise<void> {
    return this.timed('insertSession', () => this.inner.insertSession(session));
  }

  findSessionById(id: string): Promise<Session | null> {
    return this.timed('findSessionById', () => this.inner.findSessionById(id));
  }

  listActiveSessions(userId: string, now: Date): Promise<Session[]> {
    return this.timed('listActiveSessions', () => this.inner.listActiveSessions(userId, now));
  }

  listActiveSessionsPage(userId: string, now: Date, page: PageRequest): Promise<Session[]> {
    return this.timed('listActiveSessionsPage', () => this.inner.listActiveSessionsPage(userId, now, page));
  }

  touchSession(id: string, lastUsedAt: Date, idleExpiresAt: Date): Promise<void> {
    return this.timed('touchSession', () => this.inner.touchSession(id, lastUsedAt, idleExpiresAt));
  }

  revokeSession(id: string, at: Date): Promise<boolean> {
    return this.timed('revokeSession', () => this.inner.revokeSession(id, at));
  }

  revokeUserSessions(userId: string, at: Date, exceptSessionId?: string): Promise<number> {
    return this.timed('revokeUserSessions', () => this.inner.revokeUserSessions(userId, at, exceptSessionId));
  }

  revokeOldestSessions(userId: string, keep: number, now: Date): Promise<string[]> {
    return this.timed('revokeOldestSessions', () => this.inner.revokeOldestSessions(userId, keep, now));
  }

  setSessionAuthentication(id: string, method: AuthMethod, at: Date): Promise<boolean> {
    return this.timed('setSessionAuthentication', () => this.inner.setSessionAuthentication(id, method, at));
  }

  setSessionCredentialVersion(id: string, credentialVersion: number): Promise<void> {
    return this.timed('setSessionCredentialVersion', () =>
      this.inner.setSessionCredentialVersion(id, credentialVersion),
    );
  }

  insertRefreshToken(token: RefreshToken): Promise<void> {
    return this.timed('insertRefreshToken', () => this.inner.insertRefreshToken(token));
  }

  findRefreshToken(tokenHash: string): Promise<RefreshToken | null> {
    return this.timed('findRefreshToken', () => this.inner.findRefreshToken(tokenHash));
  }

  findRefreshTokenWithSession(
    tokenHash: string,
  ): Promise<{ token: RefreshToken; session: Session; user: User } | null> {
    return this.timed('findRefreshTokenWithSession', () => this.inner.findRefreshTokenWithSession(tokenHash));
  }

  consumeRefreshToken(tokenHash: string, at: Date): Promise<boolean> {
    return this.timed('consumeRefreshToken', () => this.inner.consumeRefreshToken(tokenHash, at));
  }

  rotateRefreshToken(rotation: RefreshRotation): Promise<boolean> {
    return this.timed('rotateRefreshToken', () => this.inner.rotateRefreshToken(rotation));
  }

  insertOrganization(organization: Organization): Promise<void> {
    return this.timed('insertOrganization', () => this.inner.insertOrganization(organization));
  }

  findOrganizationById(id: string): Promise<Organization | null> {
    return this.timed('findOrganizationById', () => this.inner.findOrganizationById(id));
  }

  lockOrganization(id: string): Promise<Organization | null> {
    return this.timed('lockOrganization', () => this.inner.lockOrganization(id));
  }

  updateOrganization(id: string, patch: OrganizationPatch): Promise<boolean> {
    return this.timed('updateOrganization', () => this.inner.updateOrganization(id, patch));
  }

  deleteOrganization(id: string): Promise<boolean> {
    return this.timed('deleteOrganization', () => this.inner.deleteOrganization(id));
  }

  insertMembership(membership: Membership): Promise<boolean> {
    return this.timed('insertMembership', () => this.inner.insertMembership(membership));
  }

  findMembershipById(id: string): Promise<Membership | null> {
    return this.timed('findMembershipById', () => this.inner.findMembershipById(id));
  }

  findMembership(organizationId: string, userId: string): Promise<Membership | null> {
    return this.timed('findMembership', () => this.inner.findMembership(organizationId, userId));
  }

  listMemberships(organizationId: string): Promise<Membership[]> {
    return this.timed('listMemberships', () => this.inner.listMemberships(organizationId));
  }

  listMembershipsPage(organizationId: string, page: PageRequest): Promise<Membership[]> {
    return this.timed('listMembershipsPage', () => this.inner.listMembershipsPage(organizationId, page));
  }

  listMembershipsOfUser(userId: string): Promise<Membership[]> {
    return this.timed('listMembershipsOfUser', () => this.inner.listMembershipsOfUser(userId));
  }

  countOwners(organizationId: string): Promise<number> {
    return this.timed('countOwners', () => this.inner.countOwners(organizationId));
  }

  updateMembershipRole(id: string, role: MembershipRole): Promise<boolean> {
    return this.timed('updateMembershipRole', () => this.inner.updateMembershipRole(id, role));
  }

  updateMembershipFields(id: string, fields: CustomFields): Promise<boolean> {
    return this.timed('updateMembershipFields', () => this.inner.updateMembershipFields(id, fields));
  }

  deleteMembership(id: string): Promise<boolean> {
    return this.timed('deleteMembership', () => this.inner.deleteMembership(id));
  }

  deleteMembershipsOfUser(userId: string): Promise<number> {
    return this.timed('deleteMembershipsOfUser', () => this.inner.deleteMembershipsOfUser(userId));
  }

  insertClient(client: Client): Promise<void> {
    return this.timed('insertClient', () => this.inner.insertClient(client));
  }

  findClientById(id: string): Promise<Client | null> {
    return this.timed('findClientById', () => this.inner.findClientById(id));
  }

  listClients(organizationId: string): Promise<Client[]> {
    return this.timed('listClients', () => this.inner.listClients(organizationId));
  }

  listClientsPage(organizationId: string, page: PageRequest): Promise<Client[]> {
    return this.timed('listClientsPage', () => this.inner.listClientsPage(organizationId, page));
  }

  updateClient(id: string, patch: ClientPatch): Promise<boolean> {
    return this.timed('updateClient', () => this.inner.updateClient(id, patch));
  }

  touchClientLastUsed(id: string, at: Date, staleBefore: Date): Promise<boolean> {
    return this.timed('touchClientLastUsed', () => this.inner.touchClientLastUsed(id, at, staleBefore));
  }

  insertAccessRestrictions(restrictions: AccessRestriction[]): Promise<void> {
    return this.timed('insertAccessRestrictions', () => this.inner.insertAccessRestrictions(restrictions));
  }

  listAccessRestrictions(clientId: string): Promise<AccessRestriction[]> {
    return this.timed('listAccessRestrictions', () => this.inner.listAccessRestrictions(clientId));
  }

  listAccessRestrictionsPage(clientId: string, page: PageRequest): Promise<AccessRestriction[]> {
    return this.timed('listAccessRestrictionsPage', () => this.inner.listAccessRestrictionsPage(clientId, page));
  }

  deleteAccessRestrictions(clientId: string, ids: string[]): Promise<number> {
    return this.timed('deleteAccessRestrictions', () => this.inner.deleteAccessRestrictions(clientId, ids));
  }

  putInvitation(invitation: Invitation): Promise<void> {
    return this.timed('putInvitation', () => this.inner.putInvitation(invitation));
  }

  findInvitationById(id: string): Promise<Invitation | null> {
    return this.timed('findInvitationById', () => this.inner.findInvitationById(id));
  }

  findInvitationByTokenHash(tokenHash: string): Promise<Invitation | null> {
    return this.timed('findInvitationByTokenHash', () => this.inner.findInvitationByTokenHash(tokenHash));
  }

  findInvitationFor(organizationId: string, address: string): Promise<Invitation | null> {
    return this.timed('findInvitationFor', () => this.inner.findInvitationFor(organizationId, address));
  }

  listInvitations(organizationId: string, now: Date): Promise<Invitation[]> {
    return this.timed('listInvitations', () => this.inner.listInvitations(organizationId, now));
  }

  listInvitationsPage(organizationId: string, now: Date, page: PageRequest): Promise<Invitation[]> {
    return this.timed('listInvitationsPage', () => this.inner.listInvitationsPage(organizationId, now, page));
  }

  listInvitationsTo(
    addresses: string[],
    now: Date,
    page: PageRequest,
  ): Promise<Array<{ invitation: Invitation; organizationName: string }>> {
    return this.timed('listInvitationsTo', () => this.inner.listInvitationsTo(addresses, now, page));
  }

  consumeInvitation(id: string, now: Date): Promise<boolean> {
    return this.timed('consumeInvitation', () => this.inner.consumeInvitation(id, now));
  }

  deleteInvitation(id: string): Promise<boolean> {
    return this.timed('deleteInvitation', () => this.inner.deleteInvitation(id));
  }

  putTotpFactor(factor: TotpFactor): Promise<void> {
    return this.timed('putTotpFactor', () => this.inner.putTotpFactor(factor));
  }

  findTotpFactor(userId: string): Promise<TotpFactor | null> {
    return this.timed('findTotpFactor', () => this.inner.findTotpFactor(userId));
  }

  confirmTotpFactor(userId: string, sealedSecret: string, step: number, at: Date): Promise<boolean> {
    return this.timed('confirmTotpFactor', () => this.inner.confirmTotpFactor(userId, sealedSecret, step, at));
  }

  acceptTotpStep(userId: string, step: number): Promise<boolean> {
    return this.timed('acceptTotpStep', () => this.inner.acceptTotpStep(userId, step));
  }

  deleteTwoFactor(userId: string): Promise<boolean> {
    return this.timed('deleteTwoFactor', () => this.inner.deleteTwoFactor(userId));
  }

  replaceRecoveryCodes(userId: string, codes: RecoveryCode[]): Promise<void> {
    return this.timed('replaceRecoveryCodes', () => this.inner.replaceRecoveryCodes(userId, codes));
  }

  useRecoveryCode(userId: string, codeHash: string, at: Date): Promise<boolean> {
    return this.timed('useRecoveryCode', () => this.inner.useRecoveryCode(userId, codeHash, at));
  }

  countUnusedRecoveryCodes(userId: string): Promise<number> {
    return this.timed('countUnusedRecoveryCodes', () => this.inner.countUnusedRecoveryCodes(userId));
  }

  insertMfaChallenge(challenge: MfaChallenge): Promise<void> {
    return this.timed('insertMfaChallenge', () => this.inner.insertMfaChallenge(challenge));
  }

  findMfaChallenge(tokenHash: string): Promise<MfaChallenge | null> {
    return this.timed('findMfaChallenge', () => this.inner.findMfaChallenge(tokenHash));
  }

  reserveMfaChallengeAttempt(tokenHash: string, maxAttempts: number, now: Date): Promise<boolean> {
    return this.timed('reserveMfaChallengeAttempt', () =>
      this.inner.reserveMfaChallengeAttempt(tokenHash, maxAttempts, now),
    );
  }

  deleteClosedMfaChallenges(userId: string, now: Date): Promise<number> {
    return this.timed('deleteClosedMfaChallenges', () => this.inner.deleteClosedMfaChallenges(userId, now));
  }

  consumeMfaChallenge(tokenHash: string, at: Date): Promise<boolean> {
    return this.timed('consumeMfaChallenge', () => this.inner.consumeMfaChallenge(tokenHash, at));
  }

  findUserByEmail(address: string): Promise<{ user: User; email: LoginEmail } | null> {
    return this.timed('findUserByEmail', () => this.inner.findUserByEmail(address));
  }

  findSessionWithUser(sessionId: string): Promise<{ session: Session; user: User } | null> {
    return this.timed('findSessionWithUser', () => this.inner.findSessionWithUser(sessionId));
  }

  findClientWithRestrictions(id: string): Promise<{ client: Client; restrictions: AccessRestriction[] } | null> {
    return this.timed('findClientWithRestrictions', () => this.inner.findClientWithRestrictions(id));
  }

  appendEvents(events: readonly EventRecord[], options?: AppendOptions): Promise<void> {
    return this.timed('appendEvents', () => this.inner.appendEvents(events, options));
  }

  listEvents(query: ListEventsQuery): Promise<StoredEvent[]> {
    return this.timed('listEvents', () => this.inner.listEvents(query));
  }

  pruneEvents(olderThan: Date): Promise<number> {
    return this.timed('pruneEvents', () => this.inner.pruneEvents(olderThan));
  }
}
