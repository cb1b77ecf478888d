import type {
  AccessRestriction,
  AuthMethod,
  Client,
  CodePurpose,
  CustomFields,
  DefaultEntityFields,
  EntityFields,
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
} from './entities';
import type { AppendOptions, EventRecord, ListEventsQuery, StoredEvent } from './outbox';

/**
 * The persistence port: every read and write the domain needs, named after what the domain does.
 *
 * Rules every implementation follows (the conformance suite in `accounts-module/testing` checks them):
 * - Values come back as they went in: `Date`s equal to the millisecond, arrays in the same order,
 *   `null` for absent optional values, never `undefined`.
 * - Methods that report a winner (`consume…`, `reserve…`, `insert…` returning boolean) decide it
 *   atomically in the store (a conditional update or a unique index), never by read-then-write in
 *   JavaScript: under concurrency exactly one caller wins.
 * - Infrastructure failures (connection lost, deadlock…) are thrown; the domain turns them into an
 *   `INTERNAL` error at its edge. Expected outcomes (duplicate, not found, lost race) are return values.
 * - Custom fields (`fields` of users, organizations, memberships and clients) are JSON objects,
 *   stored whole and read back deep-equal by every reader, joins and pages included; an entity
 *   inserted without them (`fields` left out) reads back `{}`, and a patch's `fields` replaces them
 *   whole. The shipped `Io`s refuse fields JSON cannot carry exactly (`InvalidCustomFieldsError`).
 *
 * `F` types each entity's custom fields (`EntityFields`); by default they are opaque JSON objects
 * (`CustomFields`). Implementations implement the default `Io` and store whatever JSON object they
 * are given; an `Io<F>` is the same store seen by a caller that writes, and so reads, only fields of
 * the types in `F`. Every `Io<F>` is also an `Io`.
 */
export interface Io<F extends EntityFields = DefaultEntityFields> {
  /**
   * Runs `work` in one transaction with an `Io` bound to it: committed when `work` resolves, rolled
   * back when it throws (and the error rethrown). Calling `transaction` on a transaction-bound `Io`
   * runs `work` in the same transaction.
   */
  transaction<T>(work: (tx: Io<F>) => Promise<T>): Promise<T>;

  // --- users -------------------------------------------------------------------------------------
  insertUser(user: User<F['user']>): Promise<void>;
  /** Finds a user by id, deleted ones included (the domain decides what a deleted user means). */
  findUserById(id: string): Promise<User<F['user']> | null>;
  /**
   * Reads a user, deleted ones included, like `findUserById`; inside a transaction it also locks the
   * user's row until the transaction ends (`SELECT … FOR UPDATE` where the dialect has it), so that
   * transactions changing one user's credentials, login emails or sessions run one after the other.
   * Outside a transaction it is a plain read.
   */
  lockUser(id: string): Promise<User<F['user']> | null>;
  /**
   * `lockUser` and a read of one of that user's sessions in one statement (the user's row is locked
   * first, as every other path locks it before touching sessions). Null, with the user still locked
   * if it exists, when either is missing or the session is another user's.
   */
  lockUserWithSession(userId: string, sessionId: string): Promise<{ user: User<F['user']>; session: Session } | null>;
  /** Finds the user owning a (normalized) login email address, with that email. */
  findUserByEmail(address: string): Promise<{ user: User<F['user']>; email: LoginEmail } | null>;
  /** Updates the given fields; returns false when no user has that id. */
  updateUser(id: string, patch: UserPatch<F['user']>): Promise<boolean>;

  // --- login emails ------------------------------------------------------------------------------
  /** Inserts a login email; returns false (and writes nothing) when the address is already taken. */
  insertLoginEmail(email: LoginEmail): Promise<boolean>;
  findLoginEmail(address: string): Promise<LoginEmail | null>;
  /** A user's login emails, oldest first. */
  listLoginEmails(userId: string): Promise<LoginEmail[]>;
  /**
   * One page of `listLoginEmails` (oldest first, ties by address): the key of a login email is
   * `{ createdAt, id: address }`. See `PageRequest` for what a page holds.
   */
  listLoginEmailsPage(userId: string, page: PageRequest): Promise<LoginEmail[]>;
  /** Deletes the given addresses of that user; returns how many were deleted. */
  deleteLoginEmails(userId: string, addresses: string[]): Promise<number>;
  /** Deletes every login email of a user (account deletion frees the addresses). */
  deleteAllLoginEmails(userId: string): Promise<number>;
  /** Sets `verifiedAt` when it is still null; returns whether it changed. */
  markLoginEmailVerified(address: string, at: Date): Promise<boolean>;
  /**
   * Deletes the address only if it is still unverified and was added before `createdBefore`, in one
   * conditional statement; true when it was deleted. Frees an address someone claimed without ever
   * proving it, so its owner can register it (docs/security-rules.md §4, pre-hijacking).
   */
  releaseUnverifiedLoginEmail(address: string, createdBefore: Date): Promise<boolean>;

  // --- verification codes ------------------------------------------------------------------------
  insertVerificationCode(code: VerificationCode): Promise<void>;
  /**
   * The newest code still usable at `now` (not consumed, not invalidated, not expired, fewer than
   * `maxAttempts` attempts) matching the filter, or null. One only: a code check is compared against
   * one code, however many an attacker parked under the same state or address (docs/security-rules.md §4, §7).
   */
  findUsableCode(filter: UsableCodeFilter, now: Date): Promise<VerificationCode | null>;
  /**
   * Atomically takes one attempt on a code: increments `attempts` only if the code is still usable
   * at `now` and has fewer than `maxAttempts` attempts. Returns whether the attempt was granted.
   * The domain compares the code only after winning an attempt, so parallel guesses cannot exceed
   * the limit.
   */
  reserveCodeAttempt(id: string, maxAttempts: number, now: Date): Promise<boolean>;
  /** Atomically marks a code consumed if it is not consumed or invalidated yet; true for the winner. */
  consumeCode(id: string, at: Date): Promise<boolean>;
  /**
   * Invalidates every unconsumed, not yet invalidated code of that purpose matching the scope: by
   * address, by state, or both (every given field must match).
   */
  invalidateCodes(scope: CodeScope, at: Date): Promise<number>;
  /** How many codes (any purpose) were created for the address at or after `since`. */
  countCodesSentSince(address: string, since: Date): Promise<number>;

  // --- sessions and refresh tokens ---------------------------------------------------------------
  insertSession(session: Session): Promise<void>;
  findSessionById(id: string): Promise<Session | null>;
  /**
   * The session and its user in one indexed lookup: the query behind strict access-token validation.
   */
  findSessionWithUser(sessionId: string): Promise<{ session: Session; user: User<F['user']> } | null>;
  /** Sessions of a user that are not revoked and not expired (idle or absolute) at `now`, newest first. */
  listActiveSessions(userId: string, now: Date): Promise<Session[]>;
  /**
   * One page of `listActiveSessions`: newest first, so `page.after` is followed by sessions with a
   * smaller `(createdAt, id)`. See `PageRequest`.
   */
  listActiveSessionsPage(userId: string, now: Date, page: PageRequest): Promise<Session[]>;
  /** Records a refresh: sets `lastUsedAt` and pushes `idleExpiresAt`. */
  touchSession(id: string, lastUsedAt: Date, idleExpiresAt: Date): Promise<void>;
  /** Revokes one session if not yet revoked; returns whether it changed. */
  revokeSession(id: string, at: Date): Promise<boolean>;
  /** Revokes every unrevoked session of a user, but `exceptSessionId`; returns how many changed. */
  revokeUserSessions(userId: string, at: Date, exceptSessionId?: string): Promise<number>;
  /**
   * Revokes the user's live sessions (as `listActiveSessions` counts them) beyond the `keep` newest;
   * returns the ids it revoked, oldest first.
   */
  revokeOldestSessions(userId: string, keep: number, now: Date): Promise<string[]>;
  /**
   * Records that a session's user proved themself again (step-up): its `authMethod` and
   * `authenticatedAt`. Returns false when no session has that id.
   */
  setSessionAuthentication(id: string, method: AuthMethod, at: Date): Promise<boolean>;
  /** Records that a session survives a change of its user's credentials (the one that made it). */
  setSessionCredentialVersion(id: string, credentialVersion: number): Promise<void>;
  insertRefreshToken(token: RefreshToken): Promise<void>;
  findRefreshToken(tokenHash: string): Promise<RefreshToken | null>;
  /**
   * A refresh token with its session and the session's user, in one indexed lookup: what a refresh
   * reads before it takes any lock. Null when the token, its session or its user is missing.
   */
  findRefreshTokenWithSession(
    tokenHash: string,
  ): Promise<{ token: RefreshToken; session: Session; user: User<F['user']> } | null>;
  /** Atomically marks a refresh token consumed if it is not yet; true only for the one winner. */
  consumeRefreshToken(tokenHash: string, at: Date): Promise<boolean>;
  /**
   * One refresh's writes, atomically: consumes `consumedTokenHash` if it is unused and belongs to
   * `next.sessionId`, a session not revoked, and only then touches that session (`lastUsedAt` = `at`, the new
   * `idleExpiresAt`) and stores `next`. True only for the one winner of concurrent rotations of one
   * token; a loser changes nothing. (The SQL `Io` does it in one statement on PostgreSQL, two on
   * MySQL.)
   */
  rotateRefreshToken(rotation: RefreshRotation): Promise<boolean>;

  // --- organizations and memberships -------------------------------------------------------------
  insertOrganization(organization: Organization<F['organization']>): Promise<void>;
  findOrganizationById(id: string): Promise<Organization<F['organization']> | null>;
  /**
   * `findOrganizationById`, and inside a transaction it also locks the organization's row until the
   * transaction ends (`SELECT … FOR UPDATE`), so that transactions changing one organization, its
   * memberships or its clients' custom fields run one after the other. A plain read outside one.
   */
  lockOrganization(id: string): Promise<Organization<F['organization']> | null>;
  updateOrganization(id: string, patch: OrganizationPatch<F['organization']>): Promise<boolean>;
  /** Deletes an organization with its memberships, clients and their access restrictions, and its invitations. */
  deleteOrganization(id: string): Promise<boolean>;
  /** Inserts a membership; false (nothing written) when the user is already a member. */
  insertMembership(membership: Membership<F['membership']>): Promise<boolean>;
  findMembershipById(id: string): Promise<Membership<F['membership']> | null>;
  findMembership(organizationId: string, userId: string): Promise<Membership<F['membership']> | null>;
  /** Memberships of an organization, oldest first. */
  listMemberships(organizationId: string): Promise<Membership<F['membership']>[]>;
  /** One page of `listMemberships` (oldest first, ties by id). See `PageRequest`. */
  listMembershipsPage(organizationId: string, page: PageRequest): Promise<Membership<F['membership']>[]>;
  /** Memberships of a user across organizations, oldest first. */
  listMembershipsOfUser(userId: string): Promise<Membership<F['membership']>[]>;
  /**
   * Counts an organization's owners. Inside a transaction, SQL implementations lock the owner rows
   * (`FOR UPDATE` where the dialect has it) so two concurrent demotions cannot both see two owners.
   */
  countOwners(organizationId: string): Promise<number>;
  updateMembershipRole(id: string, role: MembershipRole): Promise<boolean>;
  /** Replaces a membership's custom fields whole; false when no membership has that id. */
  updateMembershipFields(id: string, fields: F['membership']): Promise<boolean>;
  deleteMembership(id: string): Promise<boolean>;
  /** Removes a user from every organization (account deletion). */
  deleteMembershipsOfUser(userId: string): Promise<number>;

  // --- clients and access restrictions -----------------------------------------------------------
  insertClient(client: Client<F['client']>): Promise<void>;
  /** Finds a client by id, deleted ones included. */
  findClientById(id: string): Promise<Client<F['client']> | null>;
  /**
   * The client and its access restrictions: the lookup behind key authentication, at most two
   * queries. Deleted clients are returned too (the domain refuses them).
   */
  findClientWithRestrictions(
    id: string,
  ): Promise<{ client: Client<F['client']>; restrictions: AccessRestriction[] } | null>;
  /** Clients of an organization that are not deleted, oldest first. */
  listClients(organizationId: string): Promise<Client<F['client']>[]>;
  /** One page of `listClients` (oldest first, ties by id). See `PageRequest`. */
  listClientsPage(organizationId: string, page: PageRequest): Promise<Client<F['client']>[]>;
  updateClient(id: string, patch: ClientPatch<F['client']>): Promise<boolean>;
  /**
   * Sets `lastUsedAt` only when it is null or older than `staleBefore`, so many instances
   * authenticating the same key write it at most once per interval.
   */
  touchClientLastUsed(id: string, at: Date, staleBefore: Date): Promise<boolean>;
  insertAccessRestrictions(restrictions: AccessRestriction[]): Promise<void>;
  /** A client's access restrictions, oldest first. */
  listAccessRestrictions(clientId: string): Promise<AccessRestriction[]>;
  /** One page of `listAccessRestrictions` (oldest first, ties by id). See `PageRequest`. */
  listAccessRestrictionsPage(clientId: string, page: PageRequest): Promise<AccessRestriction[]>;
  /** Deletes the given restrictions of that client; returns how many were deleted. */
  deleteAccessRestrictions(clientId: string, ids: string[]): Promise<number>;

  // --- invitations -------------------------------------------------------------------------------
  /**
   * Stores the invitation as the only one of its (organization, address), in one statement: one
   * already there (open or expired) is replaced, its token dead. Two concurrent invitations to one
   * address leave exactly one.
   */
  putInvitation(invitation: Invitation): Promise<void>;
  findInvitationById(id: string): Promise<Invitation | null>;
  /** The invitation whose token hashes to `tokenHash`, expired or not (the domain judges). */
  findInvitationByTokenHash(tokenHash: string): Promise<Invitation | null>;
  /** The invitation of an (organization, address), expired or not. */
  findInvitationFor(organizationId: string, address: string): Promise<Invitation | null>;
  /** An organization's invitations not expired at `now`, oldest first. */
  listInvitations(organizationId: string, now: Date): Promise<Invitation[]>;
  /** One page of `listInvitations` (oldest first, ties by id). See `PageRequest`. */
  listInvitationsPage(organizationId: string, now: Date, page: PageRequest): Promise<Invitation[]>;
  /**
   * One page of the invitations to any of `addresses` not expired at `now`, each with its
   * organization's name, oldest first (ties by id), keyed by the invitation: one query, however many
   * were sent. See `PageRequest`.
   */
  listInvitationsTo(
    addresses: string[],
    now: Date,
    page: PageRequest,
  ): Promise<Array<{ invitation: Invitation; organizationName: string }>>;
  /**
   * Atomically deletes the invitation if it still exists and is not expired at `now`: true only for
   * the one winner of concurrent acceptances of one token.
   */
  consumeInvitation(id: string, now: Date): Promise<boolean>;
  /** Deletes an invitation (revoked, declined); returns whether it existed. */
  deleteInvitation(id: string): Promise<boolean>;

  // --- two-factor --------------------------------------------------------------------------------
  /** Stores the user's TOTP factor in one statement, replacing the one they had (an enrolment begun again). */
  putTotpFactor(factor: TotpFactor): Promise<void>;
  findTotpFactor(userId: string): Promise<TotpFactor | null>;
  /**
   * Atomically confirms the user's pending factor if its sealed secret is still `sealedSecret` (not
   * replaced by another enrolment meanwhile), recording `step` as its last accepted one, so the code
   * that confirmed it cannot log in. True only for the one winner.
   */
  confirmTotpFactor(userId: string, sealedSecret: string, step: number, at: Date): Promise<boolean>;
  /**
   * Atomically accepts a code of time step `step`: only if the factor is confirmed and no code of
   * this step or a later one was accepted before (`last_used_step < step`). True only for the one
   * winner: a code is never accepted twice, nor one of an adjacent earlier step after it.
   */
  acceptTotpStep(userId: string, step: number): Promise<boolean>;
  /** Deletes the user's TOTP factor and every recovery code; true when there was a factor. */
  deleteTwoFactor(userId: string): Promise<boolean>;
  /** Replaces every recovery code of the user with `codes`, in one transaction of the caller's. */
  replaceRecoveryCodes(userId: string, codes: RecoveryCode[]): Promise<void>;
  /** Atomically marks one unused recovery code of the user used; true only for the one winner. */
  useRecoveryCode(userId: string, codeHash: string, at: Date): Promise<boolean>;
  /** How many of the user's recovery codes are unused. */
  countUnusedRecoveryCodes(userId: string): Promise<number>;
  insertMfaChallenge(challenge: MfaChallenge): Promise<void>;
  /**
   * Deletes the user's challenges that can no longer complete (consumed, or expired at `now`) and
   * returns how many: the domain calls it before storing a new one, so the rows a user's logins leave
   * stay bounded without a purge job.
   */
  deleteClosedMfaChallenges(userId: string, now: Date): Promise<number>;
  /** The challenge whose token hashes to `tokenHash`, consumed or expired or not (the domain judges). */
  findMfaChallenge(tokenHash: string): Promise<MfaChallenge | null>;
  /**
   * Atomically takes one attempt on a challenge: increments `attempts` only if it is unconsumed, not
   * expired at `now` and has fewer than `maxAttempts`. The domain compares the second factor only
   * after winning one, so parallel guesses cannot pass the limit.
   */
  reserveMfaChallengeAttempt(tokenHash: string, maxAttempts: number, now: Date): Promise<boolean>;
  /** Atomically marks a challenge consumed if it is unconsumed and not expired at `at`; true for the one winner. */
  consumeMfaChallenge(tokenHash: string, at: Date): Promise<boolean>;

  // --- events (the transactional outbox: docs/events.md) ----------------------------------------
  /**
   * Appends events to the `events` outbox. Called on a transaction-bound `Io`, they commit or roll
   * back with the change they report: an event never exists without its change, nor a change
   * without its event. `seq` follows the order given. A relay reads them through an `EventOutbox`
   * over the same storage (`SqlEventOutbox`, `MemoryIo.events`).
   */
  appendEvents(events: readonly EventRecord[], options?: AppendOptions): Promise<void>;
  /** Events matching `query`, in `seq` order, at most `query.limit` of them (the domain asks one more than it shows). */
  listEvents(query: ListEventsQuery): Promise<StoredEvent[]>;
  /** Deletes delivered and dead events that happened before `olderThan`; an undelivered one is kept. Returns the count. */
  pruneEvents(olderThan: Date): Promise<number>;
}

/** What `Io.updateUser` changes: the fields given (`fields` replaces the custom fields whole), and always `updatedAt`. */
export type UserPatch<F extends object = CustomFields> = Partial<
  Pick<User<F>, 'name' | 'passwordHash' | 'roles' | 'deletedAt' | 'bannedAt' | 'credentialVersion' | 'fields'>
> & {
  updatedAt: Date;
};

/** What `Io.updateClient` changes: the fields given (`fields` replaces the custom fields whole), and always `updatedAt`. */
export type ClientPatch<F extends object = CustomFields> = Partial<
  Pick<Client<F>, 'name' | 'secretHash' | 'roles' | 'reqsPerSec' | 'deletedAt' | 'fields'>
> & {
  updatedAt: Date;
};

/**
 * Which codes `invalidateCodes` reaches: of one purpose, and of an address, a state, or both. A
 * `state` of null matches only codes stored without one (a stateless reset request voids earlier
 * stateless codes of its address, never one bound to a state).
 */
export type CodeScope =
  | { purpose: CodePurpose; address: string; state?: string | null }
  | { purpose: CodePurpose; address?: string; state: string };

export interface UsableCodeFilter {
  purpose: CodePurpose;
  /** Match this address (verify-email codes are looked up by address). */
  address?: string;
  /**
   * Match this state (login codes, and reset codes requested with one, are looked up by the state
   * they were bound to); null matches only codes stored without a state.
   */
  state?: string | null;
  /** Codes with this many attempts or more are not usable. */
  maxAttempts: number;
}

/** What `rotateRefreshToken` writes for one refresh. */
export interface RefreshRotation {
  /** The presented token, consumed only if still unused. */
  consumedTokenHash: string;
  /** When the refresh happens: the consumed token's `consumedAt` and the session's `lastUsedAt`. */
  at: Date;
  /** The session's idle expiry, pushed by the refresh. */
  idleExpiresAt: Date;
  /** The token issued in place of the consumed one, in the same session (`next.sessionId`). */
  next: RefreshToken;
}

/**
 * Where a row sits in a paged list: its `createdAt` and, to break ties between rows created in the
 * same millisecond, its id (a login email's address). `(createdAt, id)` is unique, so it orders a
 * list totally and a page can resume after any row.
 */
export interface PageKey {
  createdAt: Date;
  id: string;
}

/**
 * What a `…Page` list method reads (keyset pagination, never an offset, so rows inserted or deleted
 * between two requests neither repeat nor skip the rows after the cursor):
 * - `after`: absent for the first page; else only rows strictly after this key in the list's order
 *   (ascending `(createdAt, id)` for oldest-first lists, descending for newest-first ones);
 * - `limit`: the page size. The method returns up to `limit + 1` rows, in the list's order: the
 *   extra row only tells the domain that another page follows.
 */
export interface PageRequest {
  limit: number;
  after?: PageKey;
}
