import { type Api, expectData, expectError, expectPage } from './target';

/** `/organizations…` and `/memberships…` (HTTP.md, SPEC §6). */
export function describeOrganizations(api: Api): void {
  describe('organizations', () => {
    it('creates an organization owned by the caller, who reads and renames it', async () => {
      const { owner, id } = await api.organization('create');
      expect(id).toMatch(/^org_/);
      const read = expectData(await api.send('GET', `/organizations/${id}`, { token: owner.token }));
      expect(read).toEqual({
        id,
        name: 'Org create',
        requireMfa: false,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const renamed = expectData(
        await api.send('PATCH', `/organizations/${id}`, { token: owner.token, json: { name: 'Renamed' } }),
      );
      expect(renamed.name).toBe('Renamed');
      const memberships = expectPage(await api.send('GET', `/organizations/${id}/memberships`, { token: owner.token }));
      expect(memberships).toEqual([expect.objectContaining({ organizationId: id, userId: owner.id, role: 'owner' })]);
    });

    it('needs a user to create one, and a name', async () => {
      expectError(await api.send('POST', '/organizations', { json: { name: 'Anon' } }), 401, 'UNAUTHENTICATED');
      const user = await api.signUp('org-noname');
      expectError(await api.send('POST', '/organizations', { token: user.token, json: {} }), 400, 'VALIDATION_FAILED');
    });

    it('hides an organization from outsiders and shows it to sysadmins', async () => {
      const { id } = await api.organization('hidden');
      const outsider = await api.signUp('outsider');
      expectError(await api.send('GET', `/organizations/${id}`, { token: outsider.token }), 404, 'NOT_FOUND');
      expectError(
        await api.send('GET', `/organizations/${id}/memberships`, { token: outsider.token }),
        404,
        'NOT_FOUND',
      );
      expectError(await api.send('GET', `/organizations/${id}`), 401, 'UNAUTHENTICATED');
      expectData(await api.send('GET', `/organizations/${id}`, { token: await api.sysadmin() }));
    });

    it('manages memberships and roles within the owner rules', async () => {
      const { owner, id } = await api.organization('members');
      const [member, admin] = [await api.signUp('member'), await api.signUp('admin')];
      const path = `/organizations/${id}/memberships`;

      const added = expectData(
        await api.send('POST', path, { token: owner.token, json: { userId: member.id, role: 'member' } }),
        201,
      );
      expect(added).toMatchObject({
        organizationId: id,
        userId: member.id,
        role: 'member',
        id: expect.stringMatching(/^mem_/),
      });
      expectError(
        await api.send('POST', path, { token: owner.token, json: { userId: member.id, role: 'admin' } }),
        409,
        'ALREADY_MEMBER',
      );
      expectError(
        await api.send('POST', path, { token: owner.token, json: { userId: member.id, role: 'boss' } }),
        400,
        'VALIDATION_FAILED',
      );
      const adminship = expectData(
        await api.send('POST', path, { token: owner.token, json: { userId: admin.id, role: 'admin' } }),
        201,
      );

      // A member reads but does not manage; an admin manages but grants nothing above admin.
      expect(expectPage(await api.send('GET', path, { token: member.token }))).toHaveLength(3);
      expectError(
        await api.send('PATCH', `/organizations/${id}`, { token: member.token, json: { name: 'No' } }),
        403,
        'FORBIDDEN',
      );
      expectError(
        await api.send('PATCH', `/memberships/${added.id}`, { token: admin.token, json: { role: 'owner' } }),
        403,
        'FORBIDDEN',
      );
      const promoted = expectData(
        await api.send('PATCH', `/memberships/${added.id}`, { token: admin.token, json: { role: 'admin' } }),
      );
      expect(promoted.role).toBe('admin');

      const ownership = expectPage(await api.send('GET', path, { token: owner.token })).find(
        (m: { userId: string }) => m.userId === owner.id,
      );
      expectError(
        await api.send('PATCH', `/memberships/${ownership.id}`, { token: owner.token, json: { role: 'admin' } }),
        409,
        'LAST_OWNER',
      );
      expectError(await api.send('DELETE', `/memberships/${ownership.id}`, { token: owner.token }), 409, 'LAST_OWNER');

      expect((await api.send('DELETE', `/memberships/${adminship.id}`, { token: admin.token })).status).toBe(204);
      expectError(await api.send('GET', `/organizations/${id}`, { token: admin.token }), 404, 'NOT_FOUND');
    });

    it('lets only an owner delete the organization', async () => {
      const { owner, id } = await api.organization('delete');
      const admin = await api.signUp('org-admin');
      expectData(
        await api.send('POST', `/organizations/${id}/memberships`, {
          token: owner.token,
          json: { userId: admin.id, role: 'admin' },
        }),
        201,
      );
      expectError(await api.send('DELETE', `/organizations/${id}`, { token: admin.token }), 403, 'FORBIDDEN');
      expect((await api.send('DELETE', `/organizations/${id}`, { token: owner.token })).status).toBe(204);
      expectError(await api.send('GET', `/organizations/${id}`, { token: owner.token }), 404, 'NOT_FOUND');
    });

    it('answers 404 for memberships that do not exist', async () => {
      const user = await api.signUp('nomember');
      expectError(
        await api.send('PATCH', '/memberships/mem_missing', { token: user.token, json: { role: 'member' } }),
        404,
        'NOT_FOUND',
      );
      expectError(await api.send('DELETE', '/memberships/mem_missing', { token: user.token }), 404, 'NOT_FOUND');
    });
  });
}
