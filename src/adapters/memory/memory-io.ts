import { AsyncLocalStorage } from 'node:async_hooks';
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
import type { MemoryEventOutbox } from './memory-event-outbox';
import { MemoryStore } from './memory-store';
import { Mutex } from './mutex';
import { keyOfRow, pageOf } from './tables';

export type IoMethodName = keyof Io;

interface TransactionState {
  open: boolean;
}

/** What a `MemoryIo` and the transaction-bound `Io`s it hands out share. */
interface Shared {
  readonly store: MemoryStore;
  /** Held by one transaction or one operation at a time, like SQLite's single writer. */
  readonly mutex: Mutex;
  readonly failures: Map<IoMethodName, Error[]>;
  /** The transaction whose work is running in the current async context, to catch self-deadlocks. */
  readonly currentTransaction: AsyncLocalStorage<TransactionState>;
}

abstract class MemoryIoBase implements Io {
  protected constructor(protected readonly shared: Shared) {}

  abstract transaction<T>(work: (tx: Io) => Promise<T>): Promise<T>;

  /** Runs one operation under the rules of this `Io` (root: takes the lock; bound: its transaction). */
  protected abstract run<T>(method: IoMethodName, operation: (store: MemoryStore) => T): Promise<T>;

  protected takeInjectedFailure(method: IoMethodName): void {
    const queued = this.shared.failures.get(method);
    const failure = queued?.shift();
    if (queued?.length === 0) this.shared.failures.delete(method);
    if (failure) throw failure;
  }

  insertUser(user: User): Promise<void> {
    return this.run('insertUser', (store) => store.insertUser(user));
  }
  findUserById(id: string): Promise<User | null> {
    return this.run('findUserById', (store) => store.findUserById(id));
  }
  /** One transaction runs at a time here, so reading is all a lock needs to do. */
  lockUser(id: string): Promise<User | null> {
    return this.run('lockUser', (store) => store.findUserById(id));
  }
  lockUserWithSession(userId: string, sessionId: string): Promise<{ user: User; session: Session } | null> {
    return this.run('lockUserWithSession', (store) => store.findUserWithSession(userId, sessionId));
  }
  findUserByEmail(address: string): Promise<{ user: User; email: LoginEmail } | null> {
    return this.run('findUserByEmail', (store) => store.findUserByEmail(address));
  }
  updateUser(id: string, patch: UserPatch): Promise<boolean> {
    return this.run('updateUser', (store) => store.updateUser(id, patch));
  }

  insertLoginEmail(email: LoginEmail): Promise<boolean> {
    return this.run('insertLoginEmail', (store) => store.insertLoginEmail(email));
  }
  findLoginEmail(address: string): Promise<LoginEmail | null> {
    return this.run('findLoginEmail', (store) => store.findLoginEmail(address));
  }
  listLoginEmails(userId: string): Promise<LoginEmail[]> {
    return this.run('listLoginEmails', (store) => store.listLoginEmails(userId));
  }
  listLoginEmailsPage(userId: string, page: PageRequest): Promise<LoginEmail[]> {
    return this.run('listLoginEmailsPage', (store) =>
      pageOf(store.listLoginEmails(userId), page, (email) => ({ createdAt: email.createdAt, id: email.address })),
    );
  }
  deleteLoginEmails(userId: string, addresses: string[]): Promise<number> {
    return this.run('deleteLoginEmails', (store) => store.deleteLoginEmails(userId, addresses));
  }
  deleteAllLoginEmails(userId: string): Promise<number> {
    return this.run('deleteAllLoginEmails', (store) => store.deleteAllLoginEmails(userId));
  }
  markLoginEmailVerified(address: string, at: Date): Promise<boolean> {
    return this.run('markLoginEmailVerified', (store) => store.markLoginEmailVerified(address, at));
  }
  releaseUnverifiedLoginEmail(address: string, createdBefore: Date): Promise<boolean> {
    return this.run('releaseUnverifiedLoginEmail', (store) =>
      store.releaseUnverifiedLoginEmail(address, createdBefore),
    );
  }

  insertVerificationCode(code: VerificationCode): Promise<void> {
    return this.run('insertVerificationCode', (store) => store.insertVerificationCode(code));
  }
  findUsableCode(filter: UsableCodeFilter, now: Date): Promise<VerificationCode | null> {
    return this.run('findUsableCode', (store) => store.findUsableCode(filter, now));
  }
  reserveCodeAttempt(id: string, maxAttempts: number, now: Date): Promise<boolean> {
    return this.run('reserveCodeAttempt', (store) => store.reserveCodeAttempt(id, maxAttempts, now));
  }
  consumeCode(id: string, at: Date): Promise<boolean> {
    return this.run('consumeCode', (store) => store.consumeCode(id, at));
  }
  invalidateCodes(scope: CodeScope, at: Date): Promise<number> {
    return this.run('invalidateCodes', (store) => store.invalidateCodes(scope, at));
  }
  countCodesSentSince(address: string, since: Date): Promise<number> {
    return this.run('countCodesSentSince', (store) => store.countCodesSentSince(address, since));
  }

  insertSession(session: Session): Promise<void> {
    return this.run('insertSession', (store) => store.insertSession(session));
  }
  findSessionById(id: string): Promise<Session | null> {
    return this.run('findSessionById', (store) => store.findSessionById(id));
  }
  findSessionWithUser(sessionId: string): Promise<{ session: Session; user: User } | null> {
    return this.run('findSessionWithUser', (store) => store.findSessionWithUser(sessionId));
  }
  listActiveSessions(userId: string, now: Date): Promise<Session[]> {
    return this.run('listActiveSessions', (store) => store.listActiveSessions(userId, now));
  }
  listActiveSessionsPage(userId: string, now: Date, page: PageRequest): Promise<Session[]> {
    return this.run('listActiveSessionsPage', (store) =>
      pageOf(store.listActiveSessions(userId, now), page, keyOfRow, 'desc'),
    );
  }
  touchSession(id: string, lastUsedAt: Date, idleExpiresAt: Date): Promise<void> {
    return this.run('touchSession', (store) => store.touchSession(id, lastUsedAt, idleExpiresAt));
  }
  revokeSession(id: string, at: Date): Promise<boolean> {
    return this.run('revokeSession', (store) => store.revokeSession(id, at));
  }
  revokeUserSessions(userId: string, at: Date, exceptSessionId?: string): Promise<number> {
    return this.run('revokeUserSessions', (store) => store.revokeUserSessions(userId, at, exceptSessionId));
  }
  revokeOldestSessions(userId: string, keep: number, now: Date): Promise<string[]> {
    return this.run('revokeOldestSessions', (store) => store.revokeOldestSessions(userId, keep, now));
  }
  setSessionAuthentication(id: string, method: AuthMethod, at: Date): Promise<boolean> {
    return this.run('setSessionAuthentication', (store) => store.setSessionAuthentication(id, method, at));
  }
  setSessionCredentialVersion(id: string, credentialVersion: number): Promise<void> {
    return this.run('setSessionCredentialVersion', (store) => store.setSessionCredentialVersion(id, credentialVersion));
  }
  insertRefreshToken(token: RefreshToken): Promise<void> {
    return this.run('insertRefreshToken', (store) => store.insertRefreshToken(token));
  }
  findRefreshToken(tokenHash: string): Promise<RefreshToken | null> {
    return this.run('findRefreshToken', (store) => store.findRefreshToken(tokenHash));
  }
  findRefreshTokenWithSession(
    tokenHash: string,
  ): Promise<{ token: RefreshToken; session: Session; user: User } | null> {
    return this.run('findRefreshTokenWithSession', (store) => store.findRefreshTokenWithSession(tokenHash));
  }
  rotateRefreshToken(rotation: RefreshRotation): Promise<boolean> {
    return this.run('rotateRefreshToken', (store) => store.rotateRefreshToken(rotation));
  }
  consumeRefreshToken(tokenHash: string, at: Date): Promise<boolean> {
    return this.run('consumeRefreshToken', (store) => store.consumeRefreshToken(tokenHash, at));
  }

  insertOrganization(organization: Organization): Promise<void> {
    return this.run('insertOrganization', (store) => store.insertOrganization(organization));
  }
  findOrganizationById(id: string): Promise<Organization | null> {
    return this.run('findOrganizationById', (store) => store.findOrganizationById(id));
  }
  /** One transaction runs at a time here, so reading is all a lock needs to do. */
  lockOrganization(id: string): Promise<Organization | null> {
    return this.run('lockOrganization', (store) => store.findOrganizationById(id));
  }
  updateOrganization(id: string, patch: OrganizationPatch): Promise<boolean> {
    return this.run('updateOrganization', (store) => store.updateOrganization(id, patch));
  }
  deleteOrganization(id: string): Promise<boolean> {
    return this.run('deleteOrganization', (store) => store.deleteOrganization(id));
  }
  insertMembership(membership: Membership): Promise<boolean> {
    return this.run('insertMembership', (store) => store.insertMembership(membership));
  }
  findMembershipById(id: string): Promise<Membership | null> {
    return this.run('findMembershipById', (store) => store.findMembershipById(id));
  }
  findMembership(organizationId: string, userId: string): Promise<Membership | null> {
    return this.run('findMembership', (store) => store.findMembership(organizationId, userId));
  }
  listMemberships(organizationId: string): Promise<Membership[]> {
    return this.run('listMemberships', (store) => store.listMemberships(organizationId));
  }
  listMembershipsPage(organizationId: string, page: PageRequest): Promise<Membership[]> {
    return this.run('listMembershipsPage', (store) => pageOf(store.listMemberships(organizationId), page, keyOfRow));
  }
  listMembershipsOfUser(userId: string): Promise<Membership[]> {
    return this.run('listMembershipsOfUser', (store) => store.listMembershipsOfUser(userId));
  }
  countOwners(organizationId: string): Promise<number> {
    return this.run('countOwners', (store) => store.countOwners(organizationId));
  }
  updateMembershipRole(id: string, role: MembershipRole): Promise<boolean> {
    return this.run('updateMembershipRole', (store) => store.updateMembershipRole(id, role));
  }
  updateMembershipFields(id: string, fields: CustomFields): Promise<boolean> {
    return this.run('updateMembershipFields', (store) => store.updateMembershipFields(id, fields));
  }
  deleteMembership(id: string): Promise<boolean> {
    return this.run('deleteMembership', (store) => store.deleteMembership(id));
  }
  deleteMembershipsOfUser(userId: string): Promise<number> {
    return this.run('deleteMembershipsOfUser', (store) => store.deleteMembershipsOfUser(userId));
  }

  insertClient(client: Client): Promise<void> {
    return this.run('insertClient', (store) => store.insertClient(client));
  }
  findClientById(id: string): Promise<Client | null> {
    return this.run('findClientById', (store) => store.findClientById(id));
  }
  findClientWithRestrictions(id: string): Promise<{ client: Client; restrictions: AccessRestriction[] } | null> {
    return this.run('findClientWithRestrictions', (store) => store.findClientWithRestrictions(id));
  }
  listClients(organizationId: string): Promise<Client[]> {
    return this.run('listClients', (store) => store.listClients(organizationId));
  }
  listClientsPage(organizationId: string, page: PageRequest): Promise<Client[]> {
    return this.run('listClientsPage', (store) => pageOf(store.listClients(organizationId), page, keyOfRow));
  }
  updateClient(id: string, patch: ClientPatch): Promise<boolean> {
    return this.run('updateClient', (store) => store.updateClient(id, patch));
  }
  touchClientLastUsed(id: string, at: Date, staleBefore: Date): Promise<boolean> {
    return this.run('touchClientLastUsed', (store) => store.touchClientLastUsed(id, at, staleBefore));
  }
  insertAccessRestrictions(restrictions: AccessRestriction[]): Promise<void> {
    return this.run('insertAccessRestrictions', (store) => store.insertAccessRestrictions(restrictions));
  }
  listAccessRestrictions(clientId: string): Promise<AccessRestriction[]> {
    return this.run('listAccessRestrictions', (store) => store.listAccessRestrictions(clientId));
  }
  listAccessRestrictionsPage(clientId: string, page: PageRequest): Promise<AccessRestriction[]> {
    return this.run('listAccessRestrictionsPage', (store) =>
      pageOf(store.listAccessRestrictions(clientId), page, keyOfRow),
    );
  }
  deleteAccessRestrictions(clientId: string, ids: string[]): Promise<number> {
    return this.run('deleteAccessRestrictions', (store) => store.deleteAccessRestrictions(clientId, ids));
  }

  putInvitation(invitation: Invitation): Promise<void> {
    return this.run('putInvitation', (store) => store.invitations.put(invitation));
  }
  findInvitationById(id: string): Promise<Invitation | null> {
    return this.run('findInvitationById', (store) => store.invitations.findById(id));
  }
  findInvitationByTokenHash(tokenHash: string): Promise<Invitation | null> {
    return this.run('findInvitationByTokenHash', (store) => store.invitations.findByTokenHash(tokenHash));
  }
  findInvitationFor(organizationId: string, address: string): Promise<Invitation | null> {
    return this.run('findInvitationFor', (store) => store.invitations.findFor(organizationId, address));
  }
  listInvitations(organizationId: string, now: Date): Promise<Invitation[]> {
    return this.run('listInvitations', (store) =>
      store.invitations.listOpen((row) => row.organizationId === organizationId, now),
    );
  }
  listInvitationsPage(organizationId: string, now: Date, page: PageRequest): Promise<Invitation[]> {
    return this.run('listInvitationsPage', (store) =>
      pageOf(
        store.invitations.listOpen((row) => row.organizationId === organizationId, now),
        page,
        keyOfRow,
      ),
    );
  }
  listInvitationsTo(
    addresses: string[],
    now: Date,
    page: PageRequest,
  ): Promise<Array<{ invitation: Invitation; organizationName: string }>> {
    return this.run('listInvitationsTo', (store) => store.listInvitationsTo(addresses, now, page));
  }
  consumeInvitation(id: string, now: Date): Promise<boolean> {
    return this.run('consumeInvitation', (store) => store.invitations.consume(id, now));
  }
  deleteInvitation(id: string): Promise<boolean> {
    return this.run('deleteInvitation', (store) => store.invitations.delete(id));
  }

  putTotpFactor(factor: TotpFactor): Promise<void> {
    return this.run('putTotpFactor', (store) => store.twoFactor.putFactor(factor));
  }
  findTotpFactor(userId: string): Promise<TotpFactor | null> {
    return this.run('findTotpFactor', (store) => store.twoFactor.findFactor(userId));
  }
  confirmTotpFactor(userId: string, sealedSecret: string, step: number, at: Date): Promise<boolean> {
    return this.run('confirmTotpFactor', (store) => store.twoFactor.confirmFactor(userId, sealedSecret, step, at));
  }
  acceptTotpStep(userId: string, step: number): Promise<boolean> {
    return this.run('acceptTotpStep', (store) => store.twoFactor.acceptStep(userId, step));
  }
  deleteTwoFactor(userId: string): Promise<boolean> {
    return this.run('deleteTwoFactor', (store) => store.twoFactor.deleteAll(userId));
  }
  replaceRecoveryCodes(userId: string, codes: RecoveryCode[]): Promise<void> {
    return this.run('replaceRecoveryCodes', (store) => store.twoFactor.replaceRecoveryCodes(userId, codes));
  }
  useRecoveryCode(userId: string, codeHash: string, at: Date): Promise<boolean> {
    return this.run('useRecoveryCode', (store) => store.twoFactor.useRecoveryCode(userId, codeHash, at));
  }
  countUnusedRecoveryCodes(userId: string): Promise<number> {
    return this.run('countUnusedRecoveryCodes', (store) => store.twoFactor.countUnusedRecoveryCodes(userId));
  }
  insertMfaChallenge(challenge: MfaChallenge): Promise<void> {
    return this.run('insertMfaChallenge', (store) => store.twoFactor.insertChallenge(challenge));
  }
  deleteClosedMfaChallenges(userId: string, now: Date): Promise<number> {
    return this.run('deleteClosedMfaChallenges', (store) => store.twoFactor.deleteClosedChallenges(userId, now));
  }
  findMfaChallenge(tokenHash: string): Promise<MfaChallenge | null> {
    return this.run('findMfaChallenge', (store) => store.twoFactor.findChallenge(tokenHash));
  }
  reserveMfaChallengeAttempt(tokenHash: string, maxAttempts: number, now: Date): Promise<boolean> {
    return this.run('reserveMfaChallengeAttempt', (store) =>
      store.twoFactor.reserveChallengeAttempt(tokenHash, maxAttempts, now),
    );
  }
  consumeMfaChallenge(tokenHash: string, at: Date): Promise<boolean> {
    return this.run('consumeMfaChallenge', (store) => store.twoFactor.consumeChallenge(tokenHash, at));
  }

  appendEvents(events: readonly EventRecord[], options?: AppendOptions): Promise<void> {
    // Appended at commit, not before: a relay in this process must never see an event whose
    // transaction may still roll back.
    return this.run('appendEvents', (store) => {
      const copies = events.map((event) => structuredClone(event));
      store.journal.afterCommit(() => store.events.appendNow(copies, options));
    });
  }
  listEvents(query: ListEventsQuery): Promise<StoredEvent[]> {
    return this.run('listEvents', (store) => store.events.listNow(query));
  }
  pruneEvents(olderThan: Date): Promise<number> {
    return this.run('pruneEvents', (store) => store.events.pruneNow(olderThan));
  }
}

/**
 * An `Io` holding everything in process memory: for tests, examples and prototyping. It follows the
 * port exactly (the conformance suite runs against it): values are copied in and out, and
 * transactions are serializable and roll back completely, because one transaction or operation runs
 * at a time. Operations on it made while a transaction is open wait for that transaction to end.
 *
 * Calling it (instead of the `tx` handed to the work) from inside a transaction's work would wait
 * forever for that very transaction, so it throws instead, naming the mistake.
 */
export class MemoryIo extends MemoryIoBase {
  constructor() {
    super({
      store: new MemoryStore(),
      mutex: new Mutex(),
      failures: new Map(),
      currentTransaction: new AsyncLocalStorage(),
    });
  }

  /**
   * The outbox the events appended here land in, for an `EventRelay` in this process. Its methods
   * do not take this `Io`'s lock: events appended in a transaction appear when it commits, and a
   * rolled-back transaction leaves none.
   */
  get events(): MemoryEventOutbox {
    return this.shared.store.events;
  }

  /**
   * Makes the next call of `method` (here or on a transaction-bound `Io` of this one) reject with
   * `error` without touching any data: to prove that callers roll back or report failures. Queues
   * up when called several times.
   */
  failNext(method: IoMethodName, error: Error = new Error(`MemoryIo: injected failure in ${method}`)): void {
    const queued = this.shared.failures.get(method) ?? [];
    queued.push(error);
    this.shared.failures.set(method, queued);
  }

  async transaction<T>(work: (tx: Io) => Promise<T>): Promise<T> {
    this.#refuseInsideTransaction('transaction');
    this.takeInjectedFailure('transaction');
    const { store, mutex, currentTransaction } = this.shared;
    if (!mutex.tryLock()) await mutex.lock();
    const state: TransactionState = { open: true };
    store.journal.begin();
    try {
      const result = await currentTransaction.run(state, () => work(new TransactionBoundMemoryIo(this.shared, state)));
      store.journal.commit();
      return result;
    } catch (error) {
      store.journal.rollback();
      throw error;
    } finally {
      state.open = false;
      mutex.unlock();
    }
  }

  protected async run<T>(method: IoMethodName, operation: (store: MemoryStore) => T): Promise<T> {
    this.#refuseInsideTransaction(method);
    const { store, mutex } = this.shared;
    if (!mutex.tryLock()) await mutex.lock();
    try {
      this.takeInjectedFailure(method);
      return operation(store);
    } finally {
      mutex.unlock();
    }
  }

  #refuseInsideTransaction(method: IoMethodName): void {
    if (this.shared.currentTransaction.getStore()?.open) {
      throw new Error(
        `MemoryIo: ${method} was called on the root Io inside a transaction's work; use the transaction-bound Io passed to the work (this call would wait for its own transaction forever)`,
      );
    }
  }
}

class TransactionBoundMemoryIo extends MemoryIoBase {
  constructor(
    shared: Shared,
    private readonly state: TransactionState,
  ) {
    super(shared);
  }

  async transaction<T>(work: (tx: Io) => Promise<T>): Promise<T> {
    this.#ensureOpen('transaction');
    this.takeInjectedFailure('transaction');
    return work(this);
  }

  protected async run<T>(method: IoMethodName, operation: (store: MemoryStore) => T): Promise<T> {
    this.#ensureOpen(method);
    this.takeInjectedFailure(method);
    return operation(this.shared.store);
  }

  #ensureOpen(method: IoMethodName): void {
    if (!this.state.open) throw new Error(`MemoryIo: ${method} was called on a transaction that has already ended`);
  }
}
