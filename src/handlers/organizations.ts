import type {
  AddMembershipInput,
  ChangeMembershipRoleInput,
  CreateOrganizationInput,
  UpdateOrganizationInput,
} from '../domain/organizations';
import { asInput, dataResponse, noContentResponse } from './respond';
import type { Action, RouteDefinition } from './types';

/** `POST /organizations`: `{ name }`; any user; the caller becomes its owner. 201. */
export const createOrganization: Action = async (accounts, { body, caller }) =>
  dataResponse(await accounts.organizations.create(caller, asInput<CreateOrganizationInput>(body)), 201);

/** `GET /organizations/:id`: members, employees, sysadmins. */
export const getOrganization: Action = async (accounts, { params, caller }) =>
  dataResponse(await accounts.organizations.get(caller, params.id));

/** `PATCH /organizations/:id`: `{ name }`; admins and owners. */
export const updateOrganization: Action = async (accounts, { params, body, caller }) =>
  dataResponse(await accounts.organizations.update(caller, params.id, asInput<UpdateOrganizationInput>(body)));

/** `DELETE /organizations/:id`: owners. 204. */
export const deleteOrganization: Action = async (accounts, { params, caller }) =>
  noContentResponse(await accounts.organizations.delete(caller, params.id));

/** `GET /organizations/:id/memberships`: members. */
export const listMemberships: Action = async (accounts, { params, caller }) =>
  dataResponse(await accounts.organizations.listMemberships(caller, params.id));

/** `POST /organizations/:id/memberships`: `{ userId, role }`; admins and owners, never above their own role. 201. */
export const addMembership: Action = async (accounts, { params, body, caller }) =>
  dataResponse(await accounts.organizations.addMembership(caller, params.id, asInput<AddMembershipInput>(body)), 201);

/** `PATCH /memberships/:id`: `{ role }`; admins and owners (owners for owner changes); 409 `LAST_OWNER`. */
export const changeMembershipRole: Action = async (accounts, { params, body, caller }) =>
  dataResponse(
    await accounts.organizations.changeMembershipRole(caller, params.id, asInput<ChangeMembershipRoleInput>(body)),
  );

/** `DELETE /memberships/:id`: admins and owners, or the member leaving. 204; 409 `LAST_OWNER`. */
export const removeMembership: Action = async (accounts, { params, caller }) =>
  noContentResponse(await accounts.organizations.removeMembership(caller, params.id));

export const organizationRoutes: RouteDefinition[] = [
  { method: 'POST', path: '/organizations', body: 'json', action: createOrganization },
  { method: 'GET', path: '/organizations/:id', body: 'none', action: getOrganization },
  { method: 'PATCH', path: '/organizations/:id', body: 'json', action: updateOrganization },
  { method: 'DELETE', path: '/organizations/:id', body: 'none', action: deleteOrganization },
  { method: 'GET', path: '/organizations/:id/memberships', body: 'none', action: listMemberships },
  { method: 'POST', path: '/organizations/:id/memberships', body: 'json', action: addMembership },
  { method: 'PATCH', path: '/memberships/:id', body: 'json', action: changeMembershipRole },
  { method: 'DELETE', path: '/memberships/:id', body: 'none', action: removeMembership },
];
