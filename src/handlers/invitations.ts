import { Ok } from 'ts-results';
import { AcceptInvitationInput, CreateInvitationInput } from '../domain/invitations';
import { InvitationPageView, InvitationView, MembershipView, ReceivedInvitationPageView } from '../domain/views';
import { httpAnswer } from './custom-fields';
import { asInput, dataResponse, noContentResponse, pageQuery, pageResponse, userIdParam } from './respond';
import type { Action, DocumentedRoute } from './types';

/** `POST /organizations/:id/invitations`: `{ email, role }`; admins and owners, never above their own role. 201. */
export const createInvitation: Action = async (accounts, { params, body, caller }) =>
  dataResponse(await accounts.invitations.create(caller, params.id, asInput<CreateInvitationInput>(body)), 201);

/** `GET /organizations/:id/invitations`: admins and owners; open invitations, never a token. */
export const listInvitations: Action = async (accounts, request) =>
  pageResponse(await accounts.invitations.list(request.caller, request.params.id, pageQuery(request)));

/** `DELETE /invitations/:id`: admins and owners of its organization, for a role they could grant. 204. */
export const revokeInvitation: Action = async (accounts, { params, caller }) =>
  noContentResponse(await accounts.invitations.revoke(caller, params.id));

/**
 * `POST /invitations/accept`: `{ token }`; a user holding the invited address verified. 200 with the
 * membership (the existing one, unchanged, for a user who already was a member); 400
 * `INVALID_INVITATION` for every other outcome.
 */
export const acceptInvitation: Action = async (accounts, { body, caller, info }) => {
  const accepted = await accounts.invitations.accept(caller, asInput<AcceptInvitationInput>(body), info);
  return dataResponse(httpAnswer(accounts, 'membership', accepted.ok ? Ok(accepted.val.membership) : accepted));
};

/** `POST /invitations/:id/decline`: the invited user, through a verified address. 204. */
export const declineInvitation: Action = async (accounts, { params, caller }) =>
  noContentResponse(await accounts.invitations.decline(caller, params.id));

/** `GET /users/:id/invitations`: self, employees, sysadmins; open invitations to the user's verified addresses. */
export const listReceivedInvitations: Action = async (accounts, request) => {
  const userId = userIdParam(request);
  if (userId.err) return userId;
  return pageResponse(await accounts.invitations.listReceived(request.caller, userId.val, pageQuery(request)));
};

export const invitationRoutes: DocumentedRoute[] = [
  {
    method: 'POST',
    path: '/organizations/:id/invitations',
    body: 'json',
    action: createInvitation,
    docs: {
      summary: 'Invite an address to the organization; a token is emailed to it',
      who: 'admin+ (owner invitations: owner)',
      callers: 'caller',
      request: CreateInvitationInput,
      example: { email: 'grace@example.com', role: 'member' },
      success: {
        status: 201,
        description: 'The invitation (never its token). It replaces an earlier one to the same address.',
        data: InvitationView,
      },
      errors: ['ALREADY_MEMBER'],
    },
  },
  {
    method: 'GET',
    path: '/organizations/:id/invitations',
    body: 'none',
    action: listInvitations,
    docs: {
      summary: 'List the organization’s open invitations',
      who: 'admin+, employee',
      callers: 'caller',
      success: { status: 200, description: 'A page of the open invitations, oldest first.', page: InvitationPageView },
    },
  },
  {
    method: 'DELETE',
    path: '/invitations/:id',
    body: 'none',
    action: revokeInvitation,
    docs: {
      summary: 'Revoke an invitation; its token stops working',
      who: 'admin+ of its organization (owner invitations: owner)',
      callers: 'caller',
      success: { status: 204, description: 'Revoked.' },
    },
  },
  {
    method: 'POST',
    path: '/invitations/accept',
    body: 'json',
    action: acceptInvitation,
    docs: {
      summary: 'Accept an invitation through a verified address of yours',
      who: 'user holding the invited address, verified',
      callers: 'user',
      request: AcceptInvitationInput,
      example: { token: 'the token from the invitation email' },
      success: {
        status: 200,
        description: 'The membership (an existing one is kept as it is; the invitation is used up).',
        data: MembershipView,
      },
      errors: ['INVALID_INVITATION'],
    },
  },
  {
    method: 'POST',
    path: '/invitations/:id/decline',
    body: 'none',
    action: declineInvitation,
    docs: {
      summary: 'Decline an invitation to a verified address of yours',
      who: 'user holding the invited address, verified',
      callers: 'user',
      success: { status: 204, description: 'Declined; its token stops working.' },
    },
  },
  {
    method: 'GET',
    path: '/users/:id/invitations',
    body: 'none',
    action: listReceivedInvitations,
    docs: {
      summary: 'List open invitations to a user’s verified addresses',
      who: 'self, employee, sysadmin',
      callers: 'caller',
      success: {
        status: 200,
        description: 'The invitations, oldest first, with each organization’s name.',
        page: ReceivedInvitationPageView,
      },
    },
  },
];
