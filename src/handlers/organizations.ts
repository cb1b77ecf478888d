import {
  AddMembershipInput,
  ChangeMembershipRoleInput,
  CreateOrganizationInput,
  UpdateOrganizationInput,
} from '../domain/organizations';
import { MembershipPageView, MembershipView, OrganizationView } from '../domain/views';
import { httpAnswer, httpInput } from './custom-fields';
import { asInput, dataResponse, noContentResponse, pageQuery, pageResponse } from './respond';
import type { Action, DocumentedRoute } from './types';

/** `POST /organizations`: `{ name }`; any user; the caller becomes its owner. 201. */
export const createOrganization: Action = async (accounts, { body, caller }) => {
  const input = httpInput(accounts, 'organization', body);
  if (input.err) return input;
  const created = await accounts.organizations.create(caller, asInput<CreateOrganizationInput>(input.val));
  return dataResponse(httpAnswer(accounts, 'organization', created), 201);
};

/** `GET /organizations/:id`: members, employees, sysadmins. */
export const getOrganization: Action = async (accounts, { params, caller }) =>
  dataResponse(httpAnswer(accounts, 'organization', await accounts.organizations.get(caller, params.id)));

/** `PATCH /organizations/:id`: `{ name?, requireMfa? }`; admins and owners (`requireMfa`: owners, after step-up). */
export const updateOrganization: Action = async (accounts, { params, body, caller }) => {
  const input = httpInput(accounts, 'organization', body);
  if (input.err) return input;
  const updated = await accounts.organizations.update(caller, params.id, asInput<UpdateOrganizationInput>(input.val));
  return dataResponse(httpAnswer(accounts, 'organization', updated));
};

/** `DELETE /organizations/:id`: owners. 204. */
export const deleteOrganization: Action = async (accounts, { params, caller }) =>
  noContentResponse(await accounts.organizations.delete(caller, params.id));

/** `GET /organizations/:id/memberships`: members. */
export const listMemberships: Action = async (accounts, request) =>
  pageResponse(
    httpAnswer(
      accounts,
      'membership',
      await accounts.organizations.listMemberships(request.caller, request.params.id, pageQuery(request)),
    ),
  );

/** `POST /organizations/:id/memberships`: `{ userId, role }`; admins and owners, never above their own role. 201. */
export const addMembership: Action = async (accounts, { params, body, caller }) => {
  const input = httpInput(accounts, 'membership', body);
  if (input.err) return input;
  const added = await accounts.organizations.addMembership(caller, params.id, asInput<AddMembershipInput>(input.val));
  return dataResponse(httpAnswer(accounts, 'membership', added), 201);
};

/** `PATCH /memberships/:id`: `{ role }`; admins and owners (owners for owner changes); 409 `LAST_OWNER`. */
export const changeMembershipRole: Action = async (accounts, { params, body, caller }) => {
  const input = httpInput(accounts, 'membership', body);
  if (input.err) return input;
  const changed = await accounts.organizations.changeMembershipRole(
    caller,
    params.id,
    asInput<ChangeMembershipRoleInput>(input.val),
  );
  return dataResponse(httpAnswer(accounts, 'membership', changed));
};

/** `DELETE /memberships/:id`: admins and owners, or the member leaving. 204; 409 `LAST_OWNER`. */
export const removeMembership: Action = async (accounts, { params, caller }) =>
  noContentResponse(await accounts.organizations.removeMembership(caller, params.id));

export const organizationRoutes: DocumentedRoute[] = [
  {
    method: 'POST',
    path: '/organizations',
    body: 'json',
    action: createOrganization,
    docs: {
      summary: 'Create an organization; the caller becomes its owner',
      who: 'user',
      callers: 'caller',
      request: CreateOrganizationInput,
      example: { name: 'Analytical Engines' },
      success: { status: 201, description: 'The organization.', data: OrganizationView },
    },
  },
  {
    method: 'GET',
    path: '/organizations/:id',
    body: 'none',
    action: getOrganization,
    docs: {
      summary: 'Get an organization',
      who: 'member, employee, sysadmin',
      callers: 'caller',
      success: { status: 200, description: 'The organization.', data: OrganizationView },
    },
  },
  {
    method: 'PATCH',
    path: '/organizations/:id',
    body: 'json',
    action: updateOrganization,
    docs: {
      summary: 'Rename an organization, or (owners) require two-factor authentication of its members',
      who: 'admin+ (`requireMfa`: owner, recent login)',
      callers: 'caller',
      request: UpdateOrganizationInput,
      example: { name: 'Difference Engines', requireMfa: true },
      success: { status: 200, description: 'The organization.', data: OrganizationView },
      errors: ['REAUTHENTICATION_REQUIRED'],
    },
  },
  {
    method: 'DELETE',
    path: '/organizations/:id',
    body: 'none',
    action: deleteOrganization,
    docs: {
      summary: 'Delete an organization, its memberships and clients',
      who: 'owner',
      callers: 'caller',
      success: { status: 204, description: 'Deleted.' },
    },
  },
  {
    method: 'GET',
    path: '/organizations/:id/memberships',
    body: 'none',
    action: listMemberships,
    docs: {
      summary: 'List an organization’s memberships',
      who: 'member',
      callers: 'caller',
      success: { status: 200, description: 'A page of the memberships, oldest first.', page: MembershipPageView },
    },
  },
  {
    method: 'POST',
    path: '/organizations/:id/memberships',
    body: 'json',
    action: addMembership,
    docs: {
      summary: 'Add a member, never above the caller’s own role',
      who: 'admin+',
      callers: 'caller',
      request: AddMembershipInput,
      example: { userId: 'usr_…', role: 'member' },
      success: { status: 201, description: 'The membership.', data: MembershipView },
      errors: ['ALREADY_MEMBER'],
    },
  },
  {
    method: 'PATCH',
    path: '/memberships/:id',
    body: 'json',
    action: changeMembershipRole,
    docs: {
      summary: 'Change a member’s role (owners for owner changes)',
      who: 'admin+',
      callers: 'caller',
      request: ChangeMembershipRoleInput,
      example: { role: 'admin' },
      success: { status: 200, description: 'The membership.', data: MembershipView },
      errors: ['LAST_OWNER'],
    },
  },
  {
    method: 'DELETE',
    path: '/memberships/:id',
    body: 'none',
    action: removeMembership,
    docs: {
      summary: 'Remove a member, or leave',
      who: 'admin+, or the member themself',
      callers: 'caller',
      success: { status: 204, description: 'Removed.' },
      errors: ['LAST_OWNER'],
    },
  },
];
