import { type Api, expectData, expectError, expectPage } from './target';

/** SPEC §6 / HTTP.md: employee users may call every GET, for any resource, and nothing else. */
export function describeEmployees(api: Api): void {
  describe('employees', () => {
    it('read every GET route for resources they have no part in, and change nothing', async () => {
      const { owner, id: organizationId } = await api.organization('staffed');
      const { client } = expectData(
        await api.send('POST', `/organizations/${organizationId}/clients`, {
          token: owner.token,
          json: { name: 'Watched' },
        }),
        201,
      );
      const employee = await api.signUp('employee');
      const plain = await api.signUp('not-employee');
      await api.grantRoles(employee.email, ['employee', 'user']);

      const reads = [
        `/users/${owner.id}`,
        `/users/${owner.id}/login-emails`,
        `/users/${owner.id}/sessions`,
        `/organizations/${organizationId}`,
        `/organizations/${organizationId}/memberships`,
        `/organizations/${organizationId}/clients`,
        `/clients/${client.id}`,
        `/clients/${client.id}/access-restrictions`,
      ];
      for (const path of reads) {
        // The role takes effect on the token already issued: strict validation reads the current roles.
        expect({ path, status: (await api.send('GET', path, { token: employee.token })).status }).toEqual({
          path,
          status: 200,
        });
        expectError(await api.send('GET', path, { token: plain.token }), 404, 'NOT_FOUND');
      }
      const sessions = expectPage(await api.send('GET', `/users/${owner.id}/sessions`, { token: employee.token }));
      expect(JSON.stringify(sessions)).not.toMatch(/token|hash/i);

      const writes: Array<[string, string, unknown]> = [
        ['PATCH', `/users/${owner.id}`, { name: 'Renamed' }],
        ['PATCH', `/organizations/${organizationId}`, { name: 'Renamed' }],
        ['POST', `/organizations/${organizationId}/clients`, { name: 'Mine now' }],
        ['PATCH', `/clients/${client.id}`, { name: 'Renamed' }],
        ['POST', `/clients/${client.id}/rotate-key`, undefined],
        ['DELETE', `/clients/${client.id}`, undefined],
        ['DELETE', `/organizations/${organizationId}`, undefined],
      ];
      for (const [method, path, json] of writes) {
        const reply = await api.send(method, path, { token: employee.token, json });
        expect({ method, path, status: reply.status, code: reply.body?.error?.code }).toEqual({
          method,
          path,
          status: 403,
          code: 'FORBIDDEN',
        });
      }
      expect(expectData(await api.send('GET', `/clients/${client.id}`, { token: owner.token })).name).toBe('Watched');

      // Taking the role away takes effect at once too.
      await api.grantRoles(employee.email, ['user']);
      expectError(await api.send('GET', `/users/${owner.id}`, { token: employee.token }), 404, 'NOT_FOUND');
    });
  });
}
