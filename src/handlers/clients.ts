import { AddRestrictionsInput, CreateClientInput, RemoveRestrictionsInput, UpdateClientInput } from '../domain/clients';
import {
  AccessRestrictionListView,
  AccessRestrictionPageView,
  ClientWithKeyView,
  PublicClientPageView,
  PublicClientView,
} from '../domain/views';
import { httpAnswer, httpInput } from './custom-fields';
import { asInput, dataResponse, noContentResponse, pageQuery, pageResponse } from './respond';
import type { Action, DocumentedRoute } from './types';

/**
 * `POST /organizations/:id/clients`: `{ name, reqsPerSec? }`; admins and owners (`reqsPerSec`: sysadmins
 * and system clients). 201 `{ client, key }`: the only time the key is shown.
 */
export const createClient: Action = async (accounts, { params, body, caller }) => {
  const input = httpInput(accounts, 'client', body);
  if (input.err) return input;
  const created = await accounts.clients.create(caller, params.id, asInput<CreateClientInput>(input.val));
  return dataResponse(httpAnswer(accounts, 'client', created, 'client'), 201);
};

/** `GET /organizations/:id/clients`: members. */
export const listClients: Action = async (accounts, request) =>
  pageResponse(
    httpAnswer(accounts, 'client', await accounts.clients.list(request.caller, request.params.id, pageQuery(request))),
  );

/** `GET /clients/:id`: members of its organization (and the key itself). */
export const getClient: Action = async (accounts, { params, caller }) =>
  dataResponse(httpAnswer(accounts, 'client', await accounts.clients.get(caller, params.id)));

/** `PATCH /clients/:id`: `{ name?, reqsPerSec? }`; admins and owners (`reqsPerSec`: sysadmins, system clients). */
export const updateClient: Action = async (accounts, { params, body, caller }) => {
  const input = httpInput(accounts, 'client', body);
  if (input.err) return input;
  const updated = await accounts.clients.update(caller, params.id, asInput<UpdateClientInput>(input.val));
  return dataResponse(httpAnswer(accounts, 'client', updated));
};

/** `DELETE /clients/:id`: admins and owners; its key stops working. 204. */
export const deleteClient: Action = async (accounts, { params, caller }) =>
  noContentResponse(await accounts.clients.delete(caller, params.id));

/** `POST /clients/:id/rotate-key`: admins and owners. 200 `{ client, key }`; the old key stops working. */
export const rotateClientKey: Action = async (accounts, { params, caller }) =>
  dataResponse(httpAnswer(accounts, 'client', await accounts.clients.rotateKey(caller, params.id), 'client'));

/** `GET /clients/:id/access-restrictions`: members. */
export const listAccessRestrictions: Action = async (accounts, request) =>
  pageResponse(await accounts.clients.listRestrictions(request.caller, request.params.id, pageQuery(request)));

/** `POST /clients/:id/access-restrictions`: `{ restrictions: [{ type, value }] }`. 201 all of the client's. */
export const addAccessRestrictions: Action = async (accounts, { params, body, caller }) =>
  dataResponse(await accounts.clients.addRestrictions(caller, params.id, asInput<AddRestrictionsInput>(body)), 201);

/** `DELETE /clients/:id/access-restrictions`: `{ ids }`. 200 what remains. */
export const removeAccessRestrictions: Action = async (accounts, { params, body, caller }) =>
  dataResponse(await accounts.clients.removeRestrictions(caller, params.id, asInput<RemoveRestrictionsInput>(body)));

export const clientRoutes: DocumentedRoute[] = [
  {
    method: 'POST',
    path: '/organizations/:id/clients',
    body: 'json',
    action: createClient,
    docs: {
      summary: 'Create an API client; its key is shown this once',
      who: 'admin+ (`reqsPerSec`: sysadmin / system client)',
      callers: 'caller',
      request: CreateClientInput,
      example: { name: 'Reporting job', reqsPerSec: 10 },
      success: { status: 201, description: 'The client and its key.', data: ClientWithKeyView },
    },
  },
  {
    method: 'GET',
    path: '/organizations/:id/clients',
    body: 'none',
    action: listClients,
    docs: {
      summary: 'List an organization’s clients',
      who: 'member',
      callers: 'caller',
      success: { status: 200, description: 'A page of the live clients, oldest first.', page: PublicClientPageView },
    },
  },
  {
    method: 'GET',
    path: '/clients/:id',
    body: 'none',
    action: getClient,
    docs: {
      summary: 'Get a client',
      who: 'member of its organization (and the key itself)',
      callers: 'caller',
      success: { status: 200, description: 'The client.', data: PublicClientView },
    },
  },
  {
    method: 'PATCH',
    path: '/clients/:id',
    body: 'json',
    action: updateClient,
    docs: {
      summary: 'Rename a client or change its rate',
      who: 'admin+ (`reqsPerSec`: sysadmin / system client)',
      callers: 'caller',
      request: UpdateClientInput,
      example: { name: 'Nightly reports' },
      success: { status: 200, description: 'The client.', data: PublicClientView },
    },
  },
  {
    method: 'DELETE',
    path: '/clients/:id',
    body: 'none',
    action: deleteClient,
    docs: {
      summary: 'Delete a client; its key stops working',
      who: 'admin+',
      callers: 'caller',
      success: { status: 204, description: 'Deleted.' },
    },
  },
  {
    method: 'POST',
    path: '/clients/:id/rotate-key',
    body: 'none',
    action: rotateClientKey,
    docs: {
      summary: 'Give a client a new key; the old one stops working',
      who: 'admin+',
      callers: 'caller',
      success: { status: 200, description: 'The client and its new key.', data: ClientWithKeyView },
      errors: ['REAUTHENTICATION_REQUIRED'],
    },
  },
  {
    method: 'GET',
    path: '/clients/:id/access-restrictions',
    body: 'none',
    action: listAccessRestrictions,
    docs: {
      summary: 'List a client’s access restrictions',
      who: 'member',
      callers: 'caller',
      success: {
        status: 200,
        description: 'A page of the restrictions, oldest first.',
        page: AccessRestrictionPageView,
      },
    },
  },
  {
    method: 'POST',
    path: '/clients/:id/access-restrictions',
    body: 'json',
    action: addAccessRestrictions,
    docs: {
      summary: 'Add access restrictions (ip, host, api)',
      who: 'admin+ (`api`: sysadmin / system client)',
      callers: 'caller',
      request: AddRestrictionsInput,
      example: { restrictions: [{ type: 'ip', value: '203.0.113.0/24' }] },
      success: { status: 201, description: 'All of the client’s restrictions.', data: AccessRestrictionListView },
    },
  },
  {
    method: 'DELETE',
    path: '/clients/:id/access-restrictions',
    body: 'json',
    action: removeAccessRestrictions,
    docs: {
      summary: 'Remove access restrictions',
      who: 'admin+ (`api`: sysadmin / system client)',
      callers: 'caller',
      request: RemoveRestrictionsInput,
      example: { ids: ['rst_…'] },
      success: { status: 200, description: 'The restrictions that remain.', data: AccessRestrictionListView },
    },
  },
];
