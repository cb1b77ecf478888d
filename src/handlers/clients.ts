import type {
  AddRestrictionsInput,
  CreateClientInput,
  RemoveRestrictionsInput,
  UpdateClientInput,
} from '../domain/clients';
import { asInput, dataResponse, noContentResponse } from './respond';
import type { Action, RouteDefinition } from './types';

/**
 * `POST /organizations/:id/clients`: `{ name, reqsPerSec? }`; admins and owners (`reqsPerSec`: sysadmins
 * and system clients). 201 `{ client, key }`: the only time the key is shown.
 */
export const createClient: Action = async (accounts, { params, body, caller }) =>
  dataResponse(await accounts.clients.create(caller, params.id, asInput<CreateClientInput>(body)), 201);

/** `GET /organizations/:id/clients`: members. */
export const listClients: Action = async (accounts, { params, caller }) =>
  dataResponse(await accounts.clients.list(caller, params.id));

/** `GET /clients/:id`: members of its organization (and the key itself). */
export const getClient: Action = async (accounts, { params, caller }) =>
  dataResponse(await accounts.clients.get(caller, params.id));

/** `PATCH /clients/:id`: `{ name?, reqsPerSec? }`; admins and owners (`reqsPerSec`: sysadmins, system clients). */
export const updateClient: Action = async (accounts, { params, body, caller }) =>
  dataResponse(await accounts.clients.update(caller, params.id, asInput<UpdateClientInput>(body)));

/** `DELETE /clients/:id`: admins and owners; its key stops working. 204. */
export const deleteClient: Action = async (accounts, { params, caller }) =>
  noContentResponse(await accounts.clients.delete(caller, params.id));

/** `POST /clients/:id/rotate-key`: admins and owners. 200 `{ client, key }`; the old key stops working. */
export const rotateClientKey: Action = async (accounts, { params, caller }) =>
  dataResponse(await accounts.clients.rotateKey(caller, params.id));

/** `GET /clients/:id/access-restrictions`: members. */
export const listAccessRestrictions: Action = async (accounts, { params, caller }) =>
  dataResponse(await accounts.clients.listRestrictions(caller, params.id));

/** `POST /clients/:id/access-restrictions`: `{ restrictions: [{ type, value }] }`. 201 all of the client's. */
export const addAccessRestrictions: Action = async (accounts, { params, body, caller }) =>
  dataResponse(await accounts.clients.addRestrictions(caller, params.id, asInput<AddRestrictionsInput>(body)), 201);

/** `DELETE /clients/:id/access-restrictions`: `{ ids }`. 200 what remains. */
export const removeAccessRestrictions: Action = async (accounts, { params, body, caller }) =>
  dataResponse(await accounts.clients.removeRestrictions(caller, params.id, asInput<RemoveRestrictionsInput>(body)));

export const clientRoutes: RouteDefinition[] = [
  { method: 'POST', path: '/organizations/:id/clients', body: 'json', action: createClient },
  { method: 'GET', path: '/organizations/:id/clients', body: 'none', action: listClients },
  { method: 'GET', path: '/clients/:id', body: 'none', action: getClient },
  { method: 'PATCH', path: '/clients/:id', body: 'json', action: updateClient },
  { method: 'DELETE', path: '/clients/:id', body: 'none', action: deleteClient },
  { method: 'POST', path: '/clients/:id/rotate-key', body: 'none', action: rotateClientKey },
  { method: 'GET', path: '/clients/:id/access-restrictions', body: 'none', action: listAccessRestrictions },
  { method: 'POST', path: '/clients/:id/access-restrictions', body: 'json', action: addAccessRestrictions },
  { method: 'DELETE', path: '/clients/:id/access-restrictions', body: 'json', action: removeAccessRestrictions },
];
