import { type Api, expectData, expectError, expectPage, PASSWORD, type SignedUp, uniqueEmail } from './contract/target';

/**
 * Organization invitations over HTTP (issue 10 §4), transport-neutral like the contract: run over
 * `dispatch` in-process and against the example server on SQLite and MariaDB (tests/e2e/invitations.test.ts).
 * Every reply goes through `Api`, so it is checked against the OpenAPI document.
 */
export function describeInvitationFlows(api: Api, tokenSentTo: (address: string) => Promise<string>): void {
  describe('organization invitations', () => {
    let owner: SignedUp;
    let admin: SignedUp;
    let organizationId = '';

    beforeAll(async () => {
      const organization = await api.organization('inv');
      owner = organization.owner;
      organizationId = organization.id;
      admin = await api.signUp('inv-admin');
      expectData(
        await api.send('POST', `/organizations/${organizationId}/memberships`, {
          token: owner.token,
          json: { userId: admin.id, role: 'admin' },
        }),
        201,
      );
    });

    const invite = async (email: string, role = 'member', token = admin.token) =>
      expectData(
        await api.send('POST', `/organizations/${organizationId}/invitations`, { token, json: { email, role } }),
        201,
      );
    const accept = (token: string, invitationToken: string) =>
      api.send('POST', '/invitations/accept', { token, json: { token: invitationToken } });

    it('takes a person without an account from the invitation to a membership: register, verify, accept', async () => {
      const email = uniqueEmail('grace');
      const invitation = await invite(email, 'admin');
      expect(invitation).toMatchObject({ organizationId, email, role: 'admin', invitedByUserId: admin.id });
      const token = await tokenSentTo(email);
      expect(JSON.stringify(invitation)).not.toContain(token);
      const listed = expectPage(
        await api.send('GET', `/organizations/${organizationId}/invitations`, { token: admin.token }),
      );
      expect(listed.map((row: { id: string }) => row.id)).toContain(invitation.id);

      // Registered, signed in, the address not verified yet: the token alone is not enough.
      expectData(await api.send('POST', '/users', { json: { name: 'Grace', email, password: PASSWORD } }), 201);
      const { accessToken } = await api.login(email, PASSWORD);
      expect(expectPage(await api.send('GET', '/users/me/invitations', { token: accessToken }))).toEqual([]);
      expectError(await accept(accessToken, token), 400, 'INVALID_INVITATION');

      const code = await api.lastCode(email);
      expectData(await api.send('POST', '/emails/verify', { json: { email, code } }));
      const received = expectPage(await api.send('GET', '/users/me/invitations', { token: accessToken }));
      expect(received).toEqual([
        expect.objectContaining({ id: invitation.id, organizationName: 'Org inv', role: 'admin' }),
      ]);
      const membership = expectData(await accept(accessToken, token));
      expect(membership).toMatchObject({ organizationId, role: 'admin' });
      const members = expectPage(
        await api.send('GET', `/organizations/${organizationId}/memberships`, { token: accessToken }),
      );
      expect(members.map((row: { id: string }) => row.id)).toContain(membership.id);

      // Single use.
      expectError(await accept(accessToken, token), 400, 'INVALID_INVITATION');
      expect(expectPage(await api.send('GET', '/users/me/invitations', { token: accessToken }))).toEqual([]);
    });

    it('refuses the token to another signed-in user, and keeps it for the invited one', async () => {
      const invited = await api.signUp('inv-invited');
      const stranger = await api.signUp('inv-stranger');
      await invite(invited.email);
      const token = await tokenSentTo(invited.email);
      expectError(await accept(stranger.token, token), 400, 'INVALID_INVITATION');
      expectError(await accept(stranger.token, 'no-such-token'), 400, 'INVALID_INVITATION');
      expectError(await api.send('POST', '/invitations/accept', { json: { token } }), 401, 'UNAUTHENTICATED');
      expect(expectData(await accept(invited.token, token))).toMatchObject({ userId: invited.id, role: 'member' });
    });

    it('kills a revoked token, and a replaced one', async () => {
      const invited = await api.signUp('inv-revoked');
      const revoked = await invite(invited.email);
      const revokedToken = await tokenSentTo(invited.email);
      expect((await api.send('DELETE', `/invitations/${revoked.id}`, { token: admin.token })).status).toBe(204);
      expectError(await accept(invited.token, revokedToken), 400, 'INVALID_INVITATION');

      await invite(invited.email);
      const replacedToken = await tokenSentTo(invited.email);
      await invite(invited.email);
      const currentToken = await tokenSentTo(invited.email);
      expectError(await accept(invited.token, replacedToken), 400, 'INVALID_INVITATION');
      expectData(await accept(invited.token, currentToken));
    });

    it('lets nobody invite to a role above their own, and members not at all', async () => {
      expectError(
        await api.send('POST', `/organizations/${organizationId}/invitations`, {
          token: admin.token,
          json: { email: uniqueEmail('inv-owner'), role: 'owner' },
        }),
        403,
        'FORBIDDEN',
      );
      const invited = await api.signUp('inv-owner');
      await invite(invited.email, 'owner', owner.token);
      expectData(await accept(invited.token, await tokenSentTo(invited.email)));
      const member = await api.signUp('inv-member');
      await invite(member.email);
      expectData(await accept(member.token, await tokenSentTo(member.email)));
      expectError(
        await api.send('POST', `/organizations/${organizationId}/invitations`, {
          token: member.token,
          json: { email: uniqueEmail('inv-by-member'), role: 'member' },
        }),
        403,
        'FORBIDDEN',
      );
      expectError(
        await api.send('GET', `/organizations/${organizationId}/invitations`, { token: member.token }),
        403,
        'FORBIDDEN',
      );
      expectError(
        await api.send('POST', `/organizations/${organizationId}/invitations`, {
          token: admin.token,
          json: { email: member.email, role: 'admin' },
        }),
        409,
        'ALREADY_MEMBER',
      );
    });

    it('lets the invited user decline, after which the token is dead', async () => {
      const invited = await api.signUp('inv-decline');
      const invitation = await invite(invited.email);
      const token = await tokenSentTo(invited.email);
      expectError(
        await api.send('POST', `/invitations/${invitation.id}/decline`, { token: admin.token }),
        404,
        'NOT_FOUND',
      );
      expect((await api.send('POST', `/invitations/${invitation.id}/decline`, { token: invited.token })).status).toBe(
        204,
      );
      expectError(await accept(invited.token, token), 400, 'INVALID_INVITATION');
    });

    it('names every bad field of an invitation', async () => {
      const reply = await api.send('POST', `/organizations/${organizationId}/invitations`, {
        token: admin.token,
        json: { email: 'nope', role: 'king' },
      });
      expectError(reply, 400, 'VALIDATION_FAILED');
      expect(reply.body.error.details.map((detail: { path: string }) => detail.path)).toEqual(['email', 'role']);
    });
  });
}
