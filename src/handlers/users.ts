import type { ChangePasswordInput, RegisterInput, UpdateUserInput } from '../domain/users';
import { asInput, dataResponse, noContentResponse, userIdParam } from './respond';
import type { Action, RouteDefinition } from './types';

/** `POST /users`: anyone registers; a verify-email code goes to the address. 201 User with `emails`. */
export const registerUser: Action = async (accounts, { body, info }) =>
  dataResponse(await accounts.users.register(asInput<RegisterInput>(body), info), 201);

/** `GET /users/:id`: self, employees, sysadmins. */
export const getUser: Action = async (accounts, request) => {
  const userId = userIdParam(request);
  if (userId.err) return userId;
  return dataResponse(await accounts.users.get(request.caller, userId.val));
};

/** `PATCH /users/:id`: `{ name? }`; self or sysadmin. */
export const updateUser: Action = async (accounts, request) => {
  const userId = userIdParam(request);
  if (userId.err) return userId;
  return dataResponse(await accounts.users.update(request.caller, userId.val, asInput<UpdateUserInput>(request.body)));
};

/** `DELETE /users/:id`: self or sysadmin; every session of the user is revoked. 204. */
export const deleteUser: Action = async (accounts, request) => {
  const userId = userIdParam(request);
  if (userId.err) return userId;
  return noContentResponse(await accounts.users.delete(request.caller, userId.val));
};

/** `POST /users/:id/password`: `{ currentPassword?, newPassword }`; the user's other sessions are revoked. 204. */
export const changePassword: Action = async (accounts, request) => {
  const userId = userIdParam(request);
  if (userId.err) return userId;
  const input = asInput<ChangePasswordInput>(request.body);
  return noContentResponse(await accounts.users.changePassword(request.caller, userId.val, input, request.info));
};

export const userRoutes: RouteDefinition[] = [
  { method: 'POST', path: '/users', body: 'json', action: registerUser },
  { method: 'GET', path: '/users/:id', body: 'none', action: getUser },
  { method: 'PATCH', path: '/users/:id', body: 'json', action: updateUser },
  { method: 'DELETE', path: '/users/:id', body: 'none', action: deleteUser },
  { method: 'POST', path: '/users/:id/password', body: 'json', action: changePassword },
];
