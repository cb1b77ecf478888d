import { customFieldsToJson } from '../../ports/custom-fields';
import type {
  AccessRestriction,
  AuthMethod,
  Client,
  CustomFields,
  Invitation,
  LoginEmail,
  Membership,
  MembershipRole,
  Organization,
  OrganizationPatch,
  RefreshToken,
  Session,
  User,
  VerificationCode,
} from '../../ports/entities';
import type { ClientPatch, CodeScope, PageRequest, RefreshRotation, UsableCodeFilter, UserPatch } from '../../ports/io';
import { MemoryEventOutbox } from './memory-event-outbox';
import { InvitationRows } from './memory-invitations';
import { TwoFactorRows } from './memory-two-factor';
import { copyRow, Journal, keyOfRow, newestFirst, oldestFirst, pageOf, Table } from './tables';

const byId = (row: { id: string }): string => row.id;
const byAddress = (row: { address: string }): string => row.address;

/**
 * The state behind `MemoryIo` and every operation on it, synchronous. Each method runs start to end
 * with no await, which is what makes the check-and-set primitives atomic; copies go in and come out.
 */
export class MemoryStore {
  readonly journal = new Journal();
  /** The event outbox (see `MemoryIo.events`). */
  readonly events = new MemoryEventOutbox();
  readonly #users = new Table<User>(this.journal, 'a user with that id');
  readonly #loginEmails = new Table<LoginEmail>(this.journal, 'a login email with that address');
  readonly #codes = new Table<VerificationCode>(this.journal, 'a verification code with that id');
  readonly #sessions = new Table<Session>(this.journal, 'a session with that id');
  readonly #refreshTokens = new Table<RefreshToken>(this.journal, 'a refresh token with that hash');
  readonly #organizations = new Table<Organization>(this.journal, 'an organization with that id');
  readonly #memberships = new Table<Membership>(this.journal, 'a membership with that id');
  readonly #clients = new Table<Client>(this.journal, 'a client with that id');
  readonly #restrictions = new Table<AccessRestriction>(this.journal, 'an access restriction with that id');
  /** Invitations, whose methods `MemoryIo` calls directly. */
  readonly invitations = new InvitationRows(this.journal);
  /** TOTP factors, recovery codes and MFA challenges, whose methods `MemoryIo` calls directly. */
  readonly twoFactor = new TwoFactorRows(this.journal);

  // --- users -------------------------------------------------------------------------------------
  insertUser(user: User): void {
    this.#users.insert(user.id, storedEntity(user, 'user'));
  }

  findUserById(id: string): User | null {
    return copyOrNull(this.#users.get(id));
  }

  /** The user and one of their sessions (the lock is the transaction's mutex: see `MemoryIo`). */
  findUserWithSession(userId: string, sessionId: string): { user: User; session: Session } | null {
    const user = this.#users.get(userId);
    const session = this.#sessions.get(sessionId);
    return user && session && session.userId === userId ? { user: copyRow(user), session: copyRow(session) } : null;
  }

  findUserByEmail(address: string): { user: User; email: LoginEmail } | null {
    const email = this.#loginEmails.get(address);
    const user = email && this.#users.get(email.userId);
    return email && user ? { user: copyRow(user), email: copyRow(email) } : null;
  }

  updateUser(id: string, patch: UserPatch): boolean {
    const stored = storedPatch(patch, 'user');
    if (!this.#users.get(id)) return false;
    this.#users.update(id, stored);
    return true;
  }

  // --- login emails ------------------------------------------------------------------------------
  insertLoginEmail(email: LoginEmail): boolean {
    if (this.#loginEmails.get(email.address)) return false;
    this.#loginEmails.insert(email.address, email);
    return true;
  }

  findLoginEmail(address: string): LoginEmail | null {
    return copyOrNull(this.#loginEmails.get(address));
  }

  listLoginEmails(userId: string): LoginEmail[] {
    return oldestFirst(this.#emailsOf(userId), byAddress).map(copyRow);
  }

  deleteLoginEmails(userId: string, addresses: string[]): number {
    const doomed = new Set(addresses);
    return this.#deleteEach(this.#loginEmails, this.#emailsOf(userId), (email) =>
      doomed.has(email.address) ? email.address : null,
    );
  }

  deleteAllLoginEmails(userId: string): number {
    return this.#deleteEach(this.#loginEmails, this.#emailsOf(userId), byAddress);
  }

  markLoginEmailVerified(address: string, at: Date): boolean {
    const email = this.#loginEmails.get(address);
    if (!email || email.verifiedAt !== null) return false;
    this.#loginEmails.update(address, { verifiedAt: at });
    return true;
  }

  releaseUnverifiedLoginEmail(address: string, createdBefore: Date): boolean {
    const email = this.#loginEmails.get(address);
    if (!email || email.verifiedAt !== null || email.createdAt.getTime() >= createdBefore.getTime()) return false;
    this.#loginEmails.delete(address);
    return true;
  }

  // --- verification codes ------------------------------------------------------------------------
  insertVerificationCode(code: VerificationCode): void {
    this.#codes.insert(code.id, code);
  }

  findUsableCode(filter: UsableCodeFilter, now: Date): VerificationCode | null {
    const matches = [...this.#codes.values()].filter(
      (code) =>
        code.purpose === filter.purpose &&
        (filter.address === undefined || code.address === filter.address) &&
        (filter.state === undefined || code.state === filter.state) &&
        isUsable(code, filter.maxAttempts, now),
    );
    return copyOrNull(newestFirst(matches, byId)[0]);
  }

  reserveCodeAttempt(id: string, maxAttempts: number, now: Date): boolean {
    const code = this.#codes.get(id);
    if (!code || !isUsable(code, maxAttempts, now)) return false;
    this.#codes.update(id, { attempts: code.attempts + 1 });
    return true;
  }

  consumeCode(id: string, at: Date): boolean {
    const code = this.#codes.get(id);
    if (!code || code.consumedAt !== null || code.invalidatedAt !== null) return false;
    this.#codes.update(id, { consumedAt: at });
    return true;
  }

  invalidateCodes(scope: CodeScope, at: Date): number {
    let changed = 0;
    for (const code of [...this.#codes.values()]) {
      if (code.purpose !== scope.purpose) continue;
      if (scope.address !== undefined && code.address !== scope.address) continue;
      if (scope.state !== undefined && code.state !== scope.state) continue;
      if (code.consumedAt !== null || code.invalidatedAt !== null) continue;
      this.#codes.update(code.id, { invalidatedAt: at });
      changed++;
    }
    return changed;
  }

  countCodesSentSince(address: string, since: Date): number {
    let count = 0;
    for (const code of this.#codes.values()) {
      if (code.address === address && code.createdAt.getTime() >= since.getTime()) count++;
    }
    return count;
  }

  // --- sessions and refresh tokens ---------------------------------------------------------------
  insertSession(session: Session): void {
    this.#sessions.insert(session.id, session);
  }

  findSessionById(id: string): Session | null {
    return copyOrNull(this.#sessions.get(id));
  }

  findSessionWithUser(sessionId: string): { session: Session; user: User } | null {
    const session = this.#sessions.get(sessionId);
    const user = session && this.#users.get(session.userId);
    return session && user ? { session: copyRow(session), user: copyRow(user) } : null;
  }

  listActiveSessions(userId: string, now: Date): Session[] {
    const instant = now.getTime();
    const active = [...this.#sessions.values()].filter(
      (session) =>
        session.userId === userId &&
        session.revokedAt === null &&
        session.idleExpiresAt.getTime() > instant &&
        session.expiresAt.getTime() > instant,
    );
    return newestFirst(active, byId).map(copyRow);
  }

  touchSession(id: string, lastUsedAt: Date, idleExpiresAt: Date): void {
    this.#sessions.update(id, { lastUsedAt, idleExpiresAt });
  }

  revokeSession(id: string, at: Date): boolean {
    const session = this.#sessions.get(id);
    if (!session || session.revokedAt !== null) return false;
    this.#sessions.update(id, { revokedAt: at });
    return true;
  }

  revokeUserSessions(userId: string, at: Date, exceptSessionId?: string): number {
    let changed = 0;
    for (const session of [...this.#sessions.values()]) {
      if (session.userId !== userId || session.revokedAt !== null || session.id === exceptSessionId) continue;
      this.#sessions.update(session.id, { revokedAt: at });
      changed++;
    }
    return changed;
  }

  revokeOldestSessions(userId: string, keep: number, now: Date): string[] {
    const doomed = this.listActiveSessions(userId, now).slice(Math.max(0, keep)).reverse();
    for (const session of doomed) this.#sessions.update(session.id, { revokedAt: now });
    return doomed.map(byId);
  }

  setSessionAuthentication(id: string, authMethod: AuthMethod, authenticatedAt: Date): boolean {
    if (!this.#sessions.get(id)) return false;
    this.#sessions.update(id, { authMethod, authenticatedAt });
    return true;
  }

  setSessionCredentialVersion(id: string, credentialVersion: number): void {
    this.#sessions.update(id, { credentialVersion });
  }

  insertRefreshToken(token: RefreshToken): void {
    this.#refreshTokens.insert(token.tokenHash, token);
  }

  findRefreshToken(tokenHash: string): RefreshToken | null {
    return copyOrNull(this.#refreshTokens.get(tokenHash));
  }

  findRefreshTokenWithSession(tokenHash: string): { token: RefreshToken; session: Session; user: User } | null {
    const token = this.#refreshTokens.get(tokenHash);
    const found = token && this.findSessionWithUser(token.sessionId);
    return token && found ? { token: copyRow(token), ...found } : null;
  }

  rotateRefreshToken(rotation: RefreshRotation): boolean {
    const { consumedTokenHash, at, idleExpiresAt, next } = rotation;
    const token = this.#refreshTokens.get(consumedTokenHash);
    const session = this.#sessions.get(next.sessionId);
    if (!token || token.sessionId !== next.sessionId || !session || session.revokedAt !== null) return false;
    if (!this.consumeRefreshToken(consumedTokenHash, at)) return false;
    this.touchSession(next.sessionId, at, idleExpiresAt);
    this.insertRefreshToken(next);
    return true;
  }

  consumeRefreshToken(tokenHash: string, at: Date): boolean {
    const token = this.#refreshTokens.get(tokenHash);
    if (!token || token.consumedAt !== null) return false;
    this.#refreshTokens.update(tokenHash, { consumedAt: at });
    return true;
  }

  // --- organizations and memberships -------------------------------------------------------------
  insertOrganization(organization: Organization): void {
    this.#organizations.insert(organization.id, storedEntity(organization, 'organization'));
  }

  findOrganizationById(id: string): Organization | null {
    return copyOrNull(this.#organizations.get(id));
  }

  updateOrganization(id: string, patch: OrganizationPatch): boolean {
    const stored = storedPatch(patch, 'organization');
    if (!this.#organizations.get(id)) return false;
    // A field left out (or given as undefined) keeps its value, as the SQL stores do.
    const given = Object.fromEntries(Object.entries(stored).filter(([, value]) => value !== undefined));
    this.#organizations.update(id, given);
    return true;
  }

  deleteOrganization(id: string): boolean {
    if (!this.#organizations.get(id)) return false;
    const clientIds = new Set(this.#clientsOf(id).map(byId));
    // Sessions outlive the key they logged in through, as with ON DELETE SET NULL in SQL.
    for (const session of [...this.#sessions.values()]) {
      if (session.clientId !== null && clientIds.has(session.clientId)) {
        this.#sessions.update(session.id, { clientId: null });
      }
    }
    const restrictions = [...this.#restrictions.values()].filter((row) => clientIds.has(row.clientId));
    this.#deleteEach(this.#restrictions, restrictions, byId);
    this.#deleteEach(this.#clients, this.#clientsOf(id), byId);
    this.#deleteEach(
      this.#memberships,
      this.#membershipsWhere((row) => row.organizationId === id),
      byId,
    );
    this.invitations.deleteOfOrganization(id);
    this.#organizations.delete(id);
    return true;
  }

  insertMembership(membership: Membership): boolean {
    const stored = storedEntity(membership, 'membership');
    if (this.#findMembershipRow(membership.organizationId, membership.userId)) return false;
    this.#memberships.insert(membership.id, stored);
    return true;
  }

  findMembershipById(id: string): Membership | null {
    return copyOrNull(this.#memberships.get(id));
  }

  findMembership(organizationId: string, userId: string): Membership | null {
    return copyOrNull(this.#findMembershipRow(organizationId, userId));
  }

  listMemberships(organizationId: string): Membership[] {
    const rows = this.#membershipsWhere((row) => row.organizationId === organizationId);
    return oldestFirst(rows, byId).map(copyRow);
  }

  listMembershipsOfUser(userId: string): Membership[] {
    return oldestFirst(
      this.#membershipsWhere((row) => row.userId === userId),
      byId,
    ).map(copyRow);
  }

  countOwners(organizationId: string): number {
    return this.#membershipsWhere((row) => row.organizationId === organizationId && row.role === 'owner').length;
  }

  updateMembershipRole(id: string, role: MembershipRole): boolean {
    if (!this.#memberships.get(id)) return false;
    this.#memberships.update(id, { role });
    return true;
  }

  updateMembershipFields(id: string, fields: CustomFields): boolean {
    const stored = storedFields(fields, 'membership');
    if (!this.#memberships.get(id)) return false;
    this.#memberships.update(id, { fields: stored });
    return true;
  }

  deleteMembership(id: string): boolean {
    return this.#memberships.delete(id);
  }

  deleteMembershipsOfUser(userId: string): number {
    return this.#deleteEach(
      this.#memberships,
      this.#membershipsWhere((row) => row.userId === userId),
      byId,
    );
  }

  // --- clients and access restrictions -----------------------------------------------------------
  insertClient(client: Client): void {
    this.#clients.insert(client.id, storedEntity(client, 'client'));
  }

  findClientById(id: string): Client | null {
    return copyOrNull(this.#clients.get(id));
  }

  findClientWithRestrictions(id: string): { client: Client; restrictions: AccessRestriction[] } | null {
    const client = this.#clients.get(id);
    return client ? { client: copyRow(client), restrictions: this.listAccessRestrictions(id) } : null;
  }

  listClients(organizationId: string): Client[] {
    const live = this.#clientsOf(organizationId).filter((client) => client.deletedAt === null);
    return oldestFirst(live, byId).map(copyRow);
  }

  updateClient(id: string, patch: ClientPatch): boolean {
    const stored = storedPatch(patch, 'client');
    if (!this.#clients.get(id)) return false;
    this.#clients.update(id, stored);
    return true;
  }

  touchClientLastUsed(id: string, at: Date, staleBefore: Date): boolean {
    const client = this.#clients.get(id);
    if (!client) return false;
    if (client.lastUsedAt !== null && client.lastUsedAt.getTime() >= staleBefore.getTime()) return false;
    this.#clients.update(id, { lastUsedAt: at });
    return true;
  }

  insertAccessRestrictions(restrictions: AccessRestriction[]): void {
    const ids = new Set<string>();
    // All or nothing, like a multi-row INSERT: check every id before writing any.
    for (const restriction of restrictions) {
      if (ids.has(restriction.id) || this.#restrictions.get(restriction.id)) {
        throw new Error('MemoryIo: an access restriction with that id already exists');
      }
      ids.add(restriction.id);
    }
    for (const restriction of restrictions) this.#restrictions.insert(restriction.id, restriction);
  }

  listAccessRestrictions(clientId: string): AccessRestriction[] {
    const rows = [...this.#restrictions.values()].filter((row) => row.clientId === clientId);
    return oldestFirst(rows, byId).map(copyRow);
  }

  deleteAccessRestrictions(clientId: string, ids: string[]): number {
    const doomed = new Set(ids);
    const rows = [...this.#restrictions.values()].filter((row) => row.clientId === clientId && doomed.has(row.id));
    return this.#deleteEach(this.#restrictions, rows, byId);
  }

  /** Open invitations to these addresses with their organization's name (see `Io.listInvitationsTo`). */
  listInvitationsTo(
    addresses: string[],
    now: Date,
    page: PageRequest,
  ): Array<{ invitation: Invitation; organizationName: string }> {
    const wanted = new Set(addresses);
    const named = this.invitations
      .listOpen((row) => wanted.has(row.address), now)
      .flatMap((invitation) => {
        const organization = this.#organizations.get(invitation.organizationId);
        return organization ? [{ invitation, organizationName: organization.name }] : [];
      });
    return pageOf(named, page, ({ invitation }) => keyOfRow(invitation));
  }

  // --- helpers -----------------------------------------------------------------------------------
  #emailsOf(userId: string): Readonly<LoginEmail>[] {
    return [...this.#loginEmails.values()].filter((email) => email.userId === userId);
  }

  #clientsOf(organizationId: string): Readonly<Client>[] {
    return [...this.#clients.values()].filter((client) => client.organizationId === organizationId);
  }

  #membershipsWhere(keep: (row: Readonly<Membership>) => boolean): Readonly<Membership>[] {
    return [...this.#memberships.values()].filter(keep);
  }

  #findMembershipRow(organizationId: string, userId: string): Readonly<Membership> | undefined {
    return this.#membershipsWhere((row) => row.organizationId === organizationId && row.userId === userId)[0];
  }

  /** Deletes the rows `keyOf` names (null skips a row); returns how many were deleted. */
  #deleteEach<Row extends object>(table: Table<Row>, rows: Row[], keyOf: (row: Row) => string | null): number {
    let deleted = 0;
    for (const row of rows) {
      const key = keyOf(row);
      if (key !== null && table.delete(key)) deleted++;
    }
    return deleted;
  }
}

function isUsable(code: Readonly<VerificationCode>, maxAttempts: number, now: Date): boolean {
  return (
    code.consumedAt === null &&
    code.invalidatedAt === null &&
    code.expiresAt.getTime() > now.getTime() &&
    code.attempts < maxAttempts
  );
}

/**
 * Custom fields as the SQL stores keep them: refused unless JSON carries them exactly
 * (`InvalidCustomFieldsError`), else what their JSON text reads back as (so `-0` is `0` here too).
 */
function storedFields(fields: object, entity: string): CustomFields {
  return JSON.parse(customFieldsToJson(fields, entity)) as CustomFields;
}

/** An entity to insert, its fields stored; one inserted without fields gets `{}`. */
function storedEntity<Row extends { fields: object }>(row: Row, entity: string): Row {
  const fields = (row.fields as object | undefined) ?? {};
  return { ...row, fields: storedFields(fields, entity) };
}

/** A patch to apply, its fields stored if it has any (none keeps the stored ones). */
function storedPatch<Patch extends { fields?: object }>(patch: Patch, entity: string): Patch {
  return patch.fields === undefined ? patch : { ...patch, fields: storedFields(patch.fields, entity) };
}

function copyOrNull<Row extends object>(row: Readonly<Row> | undefined): Row | null {
  return row ? copyRow(row as Row) : null;
}
