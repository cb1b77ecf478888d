import type * as t from 'io-ts';
import { Ok, type Result } from 'ts-results';
import {
  type AccessRestriction,
  CLIENT_ROLES,
  type Client,
  type ClientRole,
  type CustomFields,
  type PublicClient,
  UNLIMITED_REQS_PER_SEC,
} from '../ports/entities';
import type { ClientPatch, Io } from '../ports/io';
import { type RestrictedRequest, RestrictionInput, restrictionsAllow } from './access-restrictions';
import { isSystemCaller } from './authorization';
import { ClientRoleCodec, decode, listOf, Name, Opaque, ReqsPerSec, struct } from './codecs';
import type { Caller, CallerClient, Deps } from './context';
import { splitFields, storable, withFields } from './custom-fields';
import { type AccountsError, type FieldProblem, fail } from './errors';
import { actorOf, inTransactionWithEvents, recordEvent, transactWithEvents } from './event-log';
import { rateLimited } from './limits';
import { authorizeOrganizationRead, authorizeOrganizationRole } from './organizations';
import { decodePageRequest, keyById, type Page, type PageInput, toPage } from './pagination';
import { requireRecentAuthentication } from './step-up';
import { toPublicClient } from './views';

/** A client may hold at most this many access restrictions. */
export const MAX_RESTRICTIONS_PER_CLIENT = 100;

/** `POST /organizations/:id/clients`. `reqsPerSec` is for sysadmins and system clients only. */
export const CreateClientInput = struct('CreateClientInput', { name: Name }, { reqsPerSec: ReqsPerSec });
export type CreateClientInput = t.TypeOf<typeof CreateClientInput>;

/** `PATCH /clients/:id`. `reqsPerSec` is for sysadmins and system clients only. */
export const UpdateClientInput = struct('UpdateClientInput', {}, { name: Name, reqsPerSec: ReqsPerSec });
export type UpdateClientInput = t.TypeOf<typeof UpdateClientInput>;

/**
 * Options outside the HTTP body, for sysadmin tooling (CLI, seeding): client roles. Only system callers
 * may pass them; HTTP bodies cannot carry them, since the input codecs refuse unknown fields.
 */
export interface PrivilegedClientOptions {
  roles?: ClientRole[];
}

export const ClientRolesInput = listOf(ClientRoleCodec, 1, CLIENT_ROLES.length);

/** `POST /clients/:id/access-restrictions`. */
export const AddRestrictionsInput = struct('AddRestrictionsInput', {
  restrictions: listOf(RestrictionInput, 1, MAX_RESTRICTIONS_PER_CLIENT),
});
export type AddRestrictionsInput = t.TypeOf<typeof AddRestrictionsInput>;

/** `DELETE /clients/:id/access-restrictions`. */
export const RemoveRestrictionsInput = struct('RemoveRestrictionsInput', {
  ids: listOf(Opaque, 1, MAX_RESTRICTIONS_PER_CLIENT),
});
export type RemoveRestrictionsInput = t.TypeOf<typeof RemoveRestrictionsInput>;

/** A client with its key: returned only by creation and rotation, the one time the key is shown. */
export interface ClientWithKey {
  client: PublicClient;
  key: string;
}

/** What key authentication checks restrictions against. */
export type KeyRequest = RestrictedRequest;

/** `<prefix>_<clientId>_<secret>`. */
export function formatClientKey(keyPrefix: string, clientId: string, secret: string): string {
  return `${keyPrefix}_${clientId}_${secret}`;
}

const ID_PART = /^[0-9A-Za-z]+$/;

/**
 * Splits a key into the client id (`<kind>_<alphanumeric>`, for an indexed lookup) and the secret,
 * which is base64url and may itself contain `_`. Null for anything malformed.
 */
export function parseClientKey(keyPrefix: string, key: string): { clientId: string; secret: string } | null {
  if (typeof key !== 'string' || key.length > 1024 || !key.startsWith(`${keyPrefix}_`)) return null;
  const [kind, body, ...secretParts] = key.slice(keyPrefix.length + 1).split('_');
  const secret = secretParts.join('_');
  if (!ID_PART.test(kind) || body === undefined || !ID_PART.test(body) || secret === '') return null;
  return { clientId: `${kind}_${body}`, secret };
}

function privileged(field: string): Result<never, AccountsError> {
  return fail('FORBIDDEN', {
    details: [{ path: field, message: 'may be set only by a sysadmin user or a system client' }],
  });
}

/** Clients (API keys), their keys and access restrictions (docs/security-rules.md §5, §6). */
export class ClientService {
  private dummySecretHash: string | null = null;

  constructor(private readonly deps: Deps) {}

  /**
   * Admins create a client; the key is in the answer and nowhere else, ever. `reqsPerSec` and
   * `options.roles` need a sysadmin user or a system client. New clients are `external`.
   */
  async create(
    caller: Caller,
    organizationId: string,
    input: CreateClientInput,
    options: PrivilegedClientOptions = {},
  ): Promise<Result<ClientWithKey, AccountsError>> {
    const { io, lib } = this.deps;
    const access = await authorizeOrganizationRole(io, caller, organizationId, 'admin');
    if (access.err) return access;
    // A new key is what a rotation hands out: the same recent login.
    const recent = await requireRecentAuthentication(this.deps, caller);
    if (recent.err) return recent;
    const decoded = decode(withFields(CreateClientInput, this.deps.fields?.client, 'create'), input);
    if (decoded.err) return decoded;
    const roles = this.privilegedRoles(caller, options);
    if (roles.err) return roles;
    const { own, custom } = splitFields(decoded.val, this.deps.fields?.client);
    const { name, reqsPerSec } = own;
    if (reqsPerSec !== undefined && !isSystemCaller(caller)) return privileged('reqsPerSec');
    const fitting = storable('client', custom ?? {}, this.deps.fields?.client);
    if (fitting.err) return fitting;
    // New roles or a new rate make a key worth more: the same recent login as a rotation.
    if (options.roles !== undefined || reqsPerSec !== undefined) {
      const recent = await requireRecentAuthentication(this.deps, caller);
      if (recent.err) return recent;
    }

    const now = lib.now();
    const id = lib.newId('client');
    const secret = lib.newSecret();
    const key = this.keyFor(id, secret);
    const client: Client = {
      id,
      organizationId,
      name,
      secretHash: lib.hashSecret(secret),
      roles: roles.val ?? ['external'],
      reqsPerSec: reqsPerSec ?? lib.config.defaultReqsPerSec,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
      lastUsedAt: null,
      fields: custom ?? {},
    };
    await transactWithEvents(this.deps, actorOf(caller), async (tx) => {
      await tx.insertClient(client);
      recordEvent(tx, { type: 'client.created', at: now, clientId: id, organizationId });
    });
    return Ok({ client: toPublicClient(client), key });
  }

  /** Members of its organization, employees, system callers, and the client's own key. */
  async get(caller: Caller, clientId: string): Promise<Result<PublicClient, AccountsError>> {
    const client = await this.findVisible(this.deps.io, caller, clientId);
    if (client.err) return client;
    return Ok(toPublicClient(client.val));
  }

  /** One page of the organization's live clients, oldest first (members, employees, system callers). */
  async list(
    caller: Caller,
    organizationId: string,
    page?: PageInput,
  ): Promise<Result<Page<PublicClient>, AccountsError>> {
    const { io } = this.deps;
    const request = decodePageRequest(page);
    if (request.err) return request;
    const access = await authorizeOrganizationRead(io, caller, organizationId);
    if (access.err) return access;
    return Ok(toPage(await io.listClientsPage(organizationId, request.val), request.val, keyById, toPublicClient));
  }

  /** Admins rename; `reqsPerSec` and `options.roles` need a sysadmin user or a system client. */
  async update(
    caller: Caller,
    clientId: string,
    input: UpdateClientInput,
    options: PrivilegedClientOptions = {},
  ): Promise<Result<PublicClient, AccountsError>> {
    const { io, lib } = this.deps;
    const client = await this.findManaged(io, caller, clientId);
    if (client.err) return client;
    const decoded = decode(withFields(UpdateClientInput, this.deps.fields?.client, 'patch'), input);
    if (decoded.err) return decoded;
    const roles = this.privilegedRoles(caller, options);
    if (roles.err) return roles;
    const { own, custom } = splitFields(decoded.val, this.deps.fields?.client);
    const { name, reqsPerSec } = own;
    if (reqsPerSec !== undefined && !isSystemCaller(caller)) return privileged('reqsPerSec');

    const changes: Omit<ClientPatch, 'updatedAt'> = {};
    if (name !== undefined) changes.name = name;
    if (reqsPerSec !== undefined) changes.reqsPerSec = reqsPerSec;
    if (roles.val !== undefined) changes.roles = roles.val;
    if (custom !== undefined) {
      const merged = storable('client', { ...client.val.fields, ...custom }, this.deps.fields?.client);
      if (merged.err) return merged;
      changes.fields = merged.val;
    }
    if (Object.keys(changes).length === 0) return Ok(toPublicClient(client.val));

    const patch: ClientPatch = { ...changes, updatedAt: lib.now() };
    const { organizationId } = client.val;
    const updated = await this.changeClient(
      caller,
      clientId,
      patch,
      { type: 'client.updated', organizationId },
      custom,
    );
    if (!updated) return fail('NOT_FOUND');
    return Ok(toPublicClient({ ...client.val, ...patch }));
  }

  /** Admins delete a client (soft: `deletedAt`); its key stops working at once. */
  async delete(caller: Caller, clientId: string): Promise<Result<void, AccountsError>> {
    const { io, lib } = this.deps;
    const client = await this.findManaged(io, caller, clientId);
    if (client.err) return client;
    const now = lib.now();
    const { organizationId } = client.val;
    const patch: ClientPatch = { deletedAt: now, updatedAt: now };
    if (!(await this.changeClient(caller, clientId, patch, { type: 'client.deleted', organizationId }))) {
      return fail('NOT_FOUND');
    }
    return Ok(undefined);
  }

  /** Admins issue a new key; the old one stops working at once. */
  async rotateKey(caller: Caller, clientId: string): Promise<Result<ClientWithKey, AccountsError>> {
    const { io, lib } = this.deps;
    const client = await this.findManaged(io, caller, clientId);
    if (client.err) return client;
    const recent = await requireRecentAuthentication(this.deps, caller);
    if (recent.err) return recent;
    const secret = lib.newSecret();
    const patch: ClientPatch = { secretHash: lib.hashSecret(secret), updatedAt: lib.now() };
    const { organizationId } = client.val;
    if (!(await this.changeClient(caller, clientId, patch, { type: 'client.rotated', organizationId }))) {
      return fail('NOT_FOUND');
    }
    return Ok({ client: toPublicClient({ ...client.val, ...patch }), key: this.keyFor(clientId, secret) });
  }

  /** One page of a client's restrictions, oldest first (whoever may read the client). */
  async listRestrictions(
    caller: Caller,
    clientId: string,
    page?: PageInput,
  ): Promise<Result<Page<AccessRestriction>, AccountsError>> {
    const { io } = this.deps;
    const request = decodePageRequest(page);
    if (request.err) return request;
    const client = await this.findVisible(io, caller, clientId);
    if (client.err) return client;
    return Ok(toPage(await io.listAccessRestrictionsPage(clientId, request.val), request.val, keyById, (row) => row));
  }

  /**
   * Admins add restrictions; `api` ones need a sysadmin user or a system client. Every bad value is
   * reported (`restrictions.<i>.value`). Restrictions the client already has are skipped, not
   * duplicated. Answers all of the client's restrictions.
   */
  async addRestrictions(
    caller: Caller,
    clientId: string,
    input: AddRestrictionsInput,
  ): Promise<Result<AccessRestriction[], AccountsError>> {
    // Restrictions bound what a key can reach: changing them needs a recent login, like a rotation.
    // Checked before the transaction, which the session read must not wait inside.
    const recent = await requireRecentAuthentication(this.deps, caller);
    if (recent.err) return recent;
    const { lib } = this.deps;
    const result = await inTransactionWithEvents(this.deps, actorOf(caller), async (tx) => {
      const client = await this.findManaged(tx, caller, clientId);
      if (client.err) return client;
      const decoded = decode(AddRestrictionsInput, input);
      if (decoded.err) return decoded;
      const { restrictions } = decoded.val;
      const forbidden = this.apiRestrictionProblems(
        caller,
        restrictions.map((restriction, index) => ({ restriction, path: `restrictions.${index}.type` })),
      );
      if (forbidden.length > 0) return fail('FORBIDDEN', { details: forbidden });

      const existing = await tx.listAccessRestrictions(clientId);
      const seen = new Set(existing.map(({ type, value }) => `${type} ${value}`));
      const now = lib.now();
      const added: AccessRestriction[] = [];
      for (const { type, value } of restrictions) {
        if (seen.has(`${type} ${value}`)) continue;
        seen.add(`${type} ${value}`);
        added.push({ id: lib.newId('restriction'), clientId, type, value, createdAt: now });
      }
      if (existing.length + added.length > MAX_RESTRICTIONS_PER_CLIENT) {
        return fail('VALIDATION_FAILED', {
          details: [
            { path: 'restrictions', message: `a client may have at most ${MAX_RESTRICTIONS_PER_CLIENT} restrictions` },
          ],
        });
      }
      if (added.length === 0) return Ok(existing);
      await tx.insertAccessRestrictions(added);
      this.restrictionsChanged(tx, client.val);
      return Ok(await tx.listAccessRestrictions(clientId));
    });
    return result;
  }

  /**
   * Admins remove restrictions by id; `api` ones need a sysadmin user or a system client. An id that is
   * not one of the client's restrictions is refused (`ids.<i>`) and nothing is removed, so a typo never
   * passes silently. Answers what remains.
   */
  async removeRestrictions(
    caller: Caller,
    clientId: string,
    input: RemoveRestrictionsInput,
  ): Promise<Result<AccessRestriction[], AccountsError>> {
    // Restrictions bound what a key can reach: changing them needs a recent login, like a rotation.
    // Checked before the transaction, which the session read must not wait inside.
    const recent = await requireRecentAuthentication(this.deps, caller);
    if (recent.err) return recent;
    const result = await inTransactionWithEvents(this.deps, actorOf(caller), async (tx) => {
      const client = await this.findManaged(tx, caller, clientId);
      if (client.err) return client;
      const decoded = decode(RemoveRestrictionsInput, input);
      if (decoded.err) return decoded;
      const ids = [...new Set(decoded.val.ids)];

      const existing = await tx.listAccessRestrictions(clientId);
      const byId = new Map(existing.map((restriction) => [restriction.id, restriction]));
      const unknown: FieldProblem[] = decoded.val.ids.flatMap((id, index) =>
        byId.has(id) ? [] : [{ path: `ids.${index}`, message: 'is not a restriction of this client' }],
      );
      if (unknown.length > 0) return fail('VALIDATION_FAILED', { details: unknown });
      const forbidden = this.apiRestrictionProblems(
        caller,
        decoded.val.ids.map((id, index) => ({ restriction: byId.get(id)!, path: `ids.${index}` })),
      );
      if (forbidden.length > 0) return fail('FORBIDDEN', { details: forbidden });

      await tx.deleteAccessRestrictions(clientId, ids);
      this.restrictionsChanged(tx, client.val);
      const removed = new Set(ids);
      return Ok(existing.filter(({ id }) => !removed.has(id)));
    });
    return result;
  }

  /**
   * Authenticates a client key for a request (docs/security-rules.md §5). Unknown, deleted and wrong keys all answer
   * INVALID_CLIENT, and the secret is compared even when the id is unknown, so neither answers nor
   * timing tell which client ids exist. Restrictions are checked only once the key is proven.
   * `lastUsedAt` is written at most once per `clientLastUsedIntervalMs`: a recently used client costs
   * one `Io` read and no write, plus one hit of the client rate-limit store; a client over its
   * `reqsPerSec` gets `RATE_LIMITED` (429 with Retry-After).
   */
  async authenticate(key: string, request: KeyRequest): Promise<Result<CallerClient, AccountsError>> {
    const { io, lib } = this.deps;
    const parsed = parseClientKey(lib.config.clientKeyPrefix, key);
    if (!parsed) return fail('INVALID_CLIENT');
    const found = await io.findClientWithRestrictions(parsed.clientId);
    const live = found && found.client.deletedAt === null ? found : null;
    const expectedHash = live?.client.secretHash ?? this.dummyHash();
    const secretMatches = lib.safeEqual(lib.hashSecret(parsed.secret), expectedHash);
    if (!live || !secretMatches) return fail('INVALID_CLIENT');
    const { client, restrictions } = live;
    if (!restrictionsAllow(restrictions, request)) return fail('ACCESS_RESTRICTED');
    // `reqsPerSec` throttles the client (docs/security-rules.md §5) in fixed one-second windows, counted in the client
    // store (by default the shared rate-limit store, so that the limit holds across instances).
    if (client.reqsPerSec !== UNLIMITED_REQS_PER_SEC) {
      const limit = { key: `client:${client.id}`, limit: client.reqsPerSec, windowMs: 1000 };
      const limited = await rateLimited(this.deps, limit, this.deps.clientRateLimits ?? this.deps.rateLimits);
      if (limited) return limited;
    }

    const now = lib.now();
    const staleBefore = new Date(now.getTime() - lib.config.clientLastUsedIntervalMs);
    if (client.lastUsedAt === null || client.lastUsedAt < staleBefore) {
      await io.touchClientLastUsed(client.id, now, staleBefore);
    }
    return Ok({ id: client.id, organizationId: client.organizationId, roles: [...client.roles] });
  }

  private keyFor(clientId: string, secret: string): string {
    const key = formatClientKey(this.deps.lib.config.clientKeyPrefix, clientId, secret);
    const parsed = parseClientKey(this.deps.lib.config.clientKeyPrefix, key);
    if (parsed?.clientId !== clientId || parsed.secret !== secret) {
      throw new Error("Lib.newId('client') must return `<kind>_<letters and digits>` for keys to be parseable");
    }
    return key;
  }

  private dummyHash(): string {
    this.dummySecretHash ??= this.deps.lib.hashSecret(this.deps.lib.newSecret());
    return this.dummySecretHash;
  }

  private privilegedRoles(
    caller: Caller,
    options: PrivilegedClientOptions,
  ): Result<ClientRole[] | undefined, AccountsError> {
    if (options.roles === undefined) return Ok(undefined);
    if (!isSystemCaller(caller)) return privileged('roles');
    const roles = decode(ClientRolesInput, options.roles);
    if (roles.err) return roles;
    return Ok([...new Set(roles.val)]);
  }

  private apiRestrictionProblems(
    caller: Caller,
    entries: { restriction: Pick<AccessRestriction, 'type'>; path: string }[],
  ): FieldProblem[] {
    if (isSystemCaller(caller)) return [];
    return entries
      .filter(({ restriction }) => restriction.type === 'api')
      .map(({ path }) => ({ path, message: '`api` restrictions are managed only by sysadmins and system clients' }));
  }

  private restrictionsChanged(tx: Io, client: Client): void {
    recordEvent(tx, {
      type: 'client.restrictions_changed',
      at: this.deps.lib.now(),
      clientId: client.id,
      organizationId: client.organizationId,
    });
  }

  /** Writes a client's change with its event (`at`: the patch's `updatedAt`); false when the client is gone. */
  private changeClient(
    caller: Caller,
    clientId: string,
    patch: ClientPatch,
    event: { type: 'client.updated' | 'client.deleted' | 'client.rotated'; organizationId: string },
    custom?: CustomFields,
  ): Promise<boolean> {
    return transactWithEvents(this.deps, actorOf(caller), async (tx) => {
      // The organization's row is the lock of its clients: custom fields merge with what is stored now.
      await tx.lockOrganization(event.organizationId);
      if (custom !== undefined) {
        const current = await tx.findClientById(clientId);
        if (!current || current.deletedAt !== null) return false;
        patch.fields = { ...current.fields, ...custom };
      }
      if (!(await tx.updateClient(clientId, patch))) return false;
      recordEvent(tx, { type: event.type, at: patch.updatedAt, clientId, organizationId: event.organizationId });
      return true;
    });
  }

  /** A live client the caller may read: NOT_FOUND for deleted ones and for outsiders. */
  private async findVisible(io: Io, caller: Caller, clientId: string): Promise<Result<Client, AccountsError>> {
    if (!caller.user && !caller.client) return fail('UNAUTHENTICATED');
    const client = await io.findClientById(clientId);
    if (!client || client.deletedAt !== null) return fail('NOT_FOUND');
    // A key may read itself (and its restrictions): it is holding its own secret already.
    if (caller.client?.id === client.id) return Ok(client);
    const access = await authorizeOrganizationRead(io, caller, client.organizationId);
    if (access.err) return access;
    return Ok(client);
  }

  /**
   * A live client the caller administers: admin+ of its organization, or a system caller. Managing a
   * `system` client (rotating its key above all) hands out everything it may do, so only a sysadmin
   * user or another system client manages one: nobody obtains a credential more privileged than their
   * own (docs/security-rules.md §5, §6). `internal` and `external` keys grant at most a member's reading of their own
   * organization, which every admin holds already.
   */
  private async findManaged(io: Io, caller: Caller, clientId: string): Promise<Result<Client, AccountsError>> {
    const client = await this.findVisible(io, caller, clientId);
    if (client.err) return client;
    const access = await authorizeOrganizationRole(io, caller, client.val.organizationId, 'admin');
    // Only a key reading itself gets this far without seeing the organization: it may look, not manage.
    if (access.err)
      return access.val.code === 'NOT_FOUND' && caller.client?.id === clientId ? fail('FORBIDDEN') : access;
    if (client.val.roles.includes('system') && !isSystemCaller(caller)) {
      return fail('FORBIDDEN', { message: 'Only a sysadmin or a system client may manage a system client.' });
    }
    return Ok(client.val);
  }
}
