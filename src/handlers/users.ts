import { ChangePasswordInput, RegisterInput, UpdateUserInput } from '../domain/users';
import { PublicUserView } from '../domain/views';
import { httpAnswer, httpInput } from './custom-fields';
import { asInput, dataResponse, noContentResponse, userIdParam } from './respond';
import type { Action, DocumentedRoute } from './types';

/** `POST /users`: anyone registers; a verify-email code goes to the address. 201 User with `emails`. */
export const registerUser: Action = async (accounts, { body, info }) => {
  const input = httpInput(accounts, 'user', body);
  if (input.err) return input;
  return dataResponse(
    httpAnswer(accounts, 'user', await accounts.users.register(asInput<RegisterInput>(input.val), info)),
    201,
  );
};

/** `GET /users/:id`: self, employees, sysadmins. */
export const getUser: Action = async (accounts, request) => {
  const userId = userIdParam(request);
  if (userId.err) return userId;
  return dataResponse(httpAnswer(accounts, 'user', await accounts.users.get(request.caller, userId.val)));
};

/** `PATCH /users/:id`: `{ name? }`; self or sysadmin. */
export const updateUser: Action = async (accounts, request) => {
  const userId = userIdParam(request);
  if (userId.err) return userId;
  const input = httpInput(accounts, 'user', request.body);
  if (input.err) return input;
  const updated = await accounts.users.update(request.caller, userId.val, asInput<UpdateUserInput>(input.val));
  return dataResponse(httpAnswer(accounts, 'user', updated));
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

export const userRoutes: DocumentedRoute[] = [
  {
    method: 'POST',
    path: '/users',
    body: 'json',
    action: registerUser,
    docs: {
      summary: 'Register a user; a verify-email code is sent to the address',
      who: 'anyone',
      callers: 'anyone',
      request: RegisterInput,
      example: { name: 'Ada Lovelace', email: 'ada@example.com', password: 'correct horse battery staple' },
      success: { status: 201, description: 'The new user, with its `emails`.', data: PublicUserView },
      errors: ['WEAK_PASSWORD', 'EMAIL_TAKEN'],
    },
  },
  {
    method: 'GET',
    path: '/users/:id',
    body: 'none',
    action: getUser,
    docs: {
      summary: 'Get a user, with its login emails',
      who: 'self, employee, sysadmin',
      callers: 'caller',
      success: { status: 200, description: 'The user.', data: PublicUserView },
    },
  },
  {
    method: 'PATCH',
    path: '/users/:id',
    body: 'json',
    action: updateUser,
    docs: {
      summary: 'Change a user’s name',
      who: 'self, sysadmin',
      callers: 'caller',
      request: UpdateUserInput,
      example: { name: 'Ada King' },
      success: { status: 200, description: 'The user.', data: PublicUserView },
    },
  },
  {
    method: 'DELETE',
    path: '/users/:id',
    body: 'none',
    action: deleteUser,
    docs: {
      summary: 'Delete a user; all its sessions are revoked',
      who: 'self, sysadmin',
      callers: 'caller',
      success: { status: 204, description: 'Deleted.' },
      errors: ['LAST_OWNER', 'REAUTHENTICATION_REQUIRED'],
    },
  },
  {
    method: 'POST',
    path: '/users/:id/password',
    body: 'json',
    action: changePassword,
    docs: {
      summary: 'Change a password; the user’s other sessions are revoked',
      who: 'self',
      callers: 'caller',
      request: ChangePasswordInput,
      example: { currentPassword: 'correct horse battery staple', newPassword: 'a new and longer passphrase' },
      success: { status: 204, description: 'Changed.' },
      errors: ['INVALID_CURRENT_PASSWORD', 'WEAK_PASSWORD', 'REAUTHENTICATION_REQUIRED'],
    },
  },
];
