import type { Result } from 'ts-results';
import type { PublicClient, PublicMembership, PublicOrganization, PublicUser } from '../ports/entities';
import type { Accounts } from './accounts';
import type {
  ClientService,
  ClientWithKey,
  CreateClientInput,
  PrivilegedClientOptions,
  UpdateClientInput,
} from './clients';
import type { Caller, RequestInfo } from './context';
import type { AccountsError } from './errors';
import type { AcceptedInvitation, AcceptInvitationInput, InvitationService } from './invitations';
import type {
  AddMembershipInput,
  ChangeMembershipRoleInput,
  CreateOrganizationInput,
  OrganizationService,
  UpdateOrganizationInput,
} from './organizations';
import type { Page, PageInput } from './pagination';
import type { RegisterInput, SetRolesInput, UpdateUserInput, UserService } from './users';

/**
 * The types of the application's own fields per entity (`createAccounts({ fields })` infers them
 * from the codecs): `{}` for an entity without any.
 */
export interface FieldTypes {
  user: object;
  organization: object;
  membership: object;
  client: object;
}

/** No custom fields anywhere: the library's own types. */
export interface NoFields {
  user: Record<never, never>;
  organization: Record<never, never>;
  membership: Record<never, never>;
  client: Record<never, never>;
}

type Answer<T> = Promise<Result<T, AccountsError>>;

/** What `UserService` does with users that carry the fields `F` (input and output). */
export type UserServiceWith<F extends object> = {
  register(input: RegisterInput & F, request: RequestInfo): Answer<PublicUser & F>;
  get(caller: Caller, userRef: string): Answer<PublicUser & F>;
  update(caller: Caller, userRef: string, input: UpdateUserInput & Partial<F>): Answer<PublicUser & F>;
  ban(caller: Caller, userId: string): Answer<PublicUser & F>;
  unban(caller: Caller, userId: string): Answer<PublicUser & F>;
  setRoles(caller: Caller, userRef: string, input: SetRolesInput): Answer<PublicUser & F>;
};

/** `OrganizationService` whose organizations carry `O` and memberships `M`. */
export type OrganizationServiceWith<O extends object, M extends object> = {
  create(caller: Caller, input: CreateOrganizationInput & O): Answer<PublicOrganization & O>;
  get(caller: Caller, organizationId: string): Answer<PublicOrganization & O>;
  update(
    caller: Caller,
    organizationId: string,
    input: UpdateOrganizationInput & Partial<O>,
  ): Answer<PublicOrganization & O>;
  listMemberships(caller: Caller, organizationId: string, page?: PageInput): Answer<Page<PublicMembership & M>>;
  addMembership(caller: Caller, organizationId: string, input: AddMembershipInput & M): Answer<PublicMembership & M>;
  changeMembershipRole(
    caller: Caller,
    membershipId: string,
    input: ChangeMembershipRoleInput & Partial<M>,
  ): Answer<PublicMembership & M>;
};

/** A new or rotated key, with its client's fields. */
export interface ClientWithKeyAnd<C extends object> extends Omit<ClientWithKey, 'client'> {
  client: PublicClient & C;
}

/** `ClientService` whose clients carry `C`. */
export type ClientServiceWith<C extends object> = {
  create(
    caller: Caller,
    organizationId: string,
    input: CreateClientInput & C,
    options?: PrivilegedClientOptions,
  ): Answer<ClientWithKeyAnd<C>>;
  get(caller: Caller, clientId: string): Answer<PublicClient & C>;
  list(caller: Caller, organizationId: string, page?: PageInput): Answer<Page<PublicClient & C>>;
  update(
    caller: Caller,
    clientId: string,
    input: UpdateClientInput & Partial<C>,
    options?: PrivilegedClientOptions,
  ): Answer<PublicClient & C>;
  rotateKey(caller: Caller, clientId: string): Answer<ClientWithKeyAnd<C>>;
};

/** `InvitationService` whose accepted memberships carry `M`. */
export type InvitationServiceWith<M extends object> = {
  accept(
    caller: Caller,
    input: AcceptInvitationInput,
    info: Pick<RequestInfo, 'ip'>,
  ): Answer<Omit<AcceptedInvitation, 'membership'> & { membership: PublicMembership & M }>;
};

/**
 * `Accounts` seen with the application's own fields (what `createAccounts({ fields })` returns): the
 * same object, typed so that `tsc` checks the fields going in and knows them coming out. The typed
 * signatures come first, so they are the ones a call resolves to; it is still an `Accounts` (pass it
 * to `createHandlers` as it is).
 */
export type AccountsWith<F extends FieldTypes> = {
  readonly users: UserServiceWith<F['user']> & UserService;
  readonly organizations: OrganizationServiceWith<F['organization'], F['membership']> & OrganizationService;
  readonly clients: ClientServiceWith<F['client']> & ClientService;
  readonly invitations: InvitationServiceWith<F['membership']> & InvitationService;
} & Accounts;
