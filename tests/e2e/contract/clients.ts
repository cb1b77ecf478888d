import { type Api, expectData, expectError, expectPage } from './target';

/** `/organizations/:id/clients` and `/clients…`, with keys, rotation and access restrictions (SPEC §5). */
export function describeClients(api: Api): void {
  async function clientOf(tag: string) {
    const { owner, id: organizationId } = await api.organization(tag);
    const created = expectData(
      await api.send('POST', `/organizations/${organizationId}/clients`, {
        token: owner.token,
        json: { name: `Client ${tag}` },
      }),
      201,
    );
    return { owner, organizationId, client: created.client, key: created.key as string };
  }

  /** A request any valid key passes: it shows whether the key itself is accepted. */
  const useKey = (key: string, headers: Record<string, string> = {}) =>
    api.send('GET', '/.well-known/jwks.json', { apiKey: key, headers });

  describe('clients', () => {
    it('creates a client whose key is shown once and never its secret hash', async () => {
      const { owner, organizationId, client, key } = await clientOf('create');
      expect(client).toEqual({
        id: expect.stringMatching(/^cli_/),
        organizationId,
        name: 'Client create',
        roles: ['external'],
        reqsPerSec: 10,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        lastUsedAt: null,
      });
      expect(key).toMatch(/^ak_cli_/);
      const listed = expectPage(
        await api.send('GET', `/organizations/${organizationId}/clients`, { token: owner.token }),
      );
      expect(listed).toEqual([expect.objectContaining({ id: client.id })]);
      expect(JSON.stringify(listed)).not.toMatch(/secret|hash|ak_cli_/i);
      expect((await useKey(key)).status).toBe(200);
      const self = expectData(await api.send('GET', `/clients/${client.id}`, { apiKey: key }));
      expect(self.id).toBe(client.id);
    });

    it('lets only sysadmins set reqsPerSec', async () => {
      const { owner, organizationId, client } = await clientOf('rps');
      const path = `/organizations/${organizationId}/clients`;
      const refused = await api.send('POST', path, { token: owner.token, json: { name: 'Fast', reqsPerSec: 100 } });
      expectError(refused, 403, 'FORBIDDEN');
      expectError(
        await api.send('PATCH', `/clients/${client.id}`, { token: owner.token, json: { reqsPerSec: -1 } }),
        403,
        'FORBIDDEN',
      );
      const admin = await api.sysadmin();
      const fast = expectData(
        await api.send('POST', path, { token: admin, json: { name: 'Fast', reqsPerSec: 100 } }),
        201,
      );
      expect(fast.client.reqsPerSec).toBe(100);
      const unlimited = expectData(
        await api.send('PATCH', `/clients/${client.id}`, { token: admin, json: { reqsPerSec: -1 } }),
      );
      expect(unlimited.reqsPerSec).toBe(-1);
    });

    it('answers 429 with Retry-After to a client over its reqsPerSec', async () => {
      const { client, key } = await clientOf('throttled');
      const admin = await api.sysadmin();
      expectData(await api.send('PATCH', `/clients/${client.id}`, { token: admin, json: { reqsPerSec: 1 } }));
      // Sent at once, so that even on a slow machine several land in the first one-second window.
      const replies = await Promise.all(Array.from({ length: 5 }, () => useKey(key)));
      expect(replies.filter((reply) => reply.status === 200).length).toBeGreaterThanOrEqual(1);
      const throttled = replies.filter((reply) => reply.status === 429);
      expect(throttled.length).toBeGreaterThanOrEqual(1);
      for (const reply of throttled) {
        expectError(reply, 429, 'RATE_LIMITED');
        expect(reply.headers['retry-after']).toBe('1');
      }
    });

    it('renames a client and hides it from outsiders', async () => {
      const { owner, client } = await clientOf('rename');
      const renamed = expectData(
        await api.send('PATCH', `/clients/${client.id}`, { token: owner.token, json: { name: 'Renamed' } }),
      );
      expect(renamed.name).toBe('Renamed');
      const outsider = await api.signUp('client-outsider');
      expectError(await api.send('GET', `/clients/${client.id}`, { token: outsider.token }), 404, 'NOT_FOUND');
      expectError(
        await api.send('PATCH', `/clients/${client.id}`, { token: outsider.token, json: { name: 'x' } }),
        404,
        'NOT_FOUND',
      );
    });

    it('rotates the key: the old one stops working at once', async () => {
      const { owner, client, key } = await clientOf('rotate');
      const rotated = expectData(await api.send('POST', `/clients/${client.id}/rotate-key`, { token: owner.token }));
      expect(rotated.client.id).toBe(client.id);
      expect(rotated.key).not.toBe(key);
      expectError(await useKey(key), 401, 'INVALID_CLIENT');
      expect((await useKey(rotated.key)).status).toBe(200);
    });

    it('deletes a client: its key is refused everywhere and it is gone', async () => {
      const { owner, client, key } = await clientOf('delete');
      expect((await api.send('DELETE', `/clients/${client.id}`, { token: owner.token })).status).toBe(204);
      expectError(await useKey(key), 401, 'INVALID_CLIENT');
      expectError(await api.send('POST', '/users', { apiKey: key, json: {} }), 401, 'INVALID_CLIENT');
      expectError(await api.send('GET', `/clients/${client.id}`, { token: owner.token }), 404, 'NOT_FOUND');
    });

    it('refuses a made-up key', async () => {
      expectError(await useKey('ak_cli_000000000000000000000_nope'), 401, 'INVALID_CLIENT');
      expectError(await useKey('garbage'), 401, 'INVALID_CLIENT');
    });
  });

  describe('access restrictions', () => {
    it('restricts a key by ip: several are ORed, and removing them lifts the restriction', async () => {
      const { owner, client, key } = await clientOf('ip');
      const path = `/clients/${client.id}/access-restrictions`;
      const elsewhere = expectData(
        await api.send('POST', path, {
          token: owner.token,
          json: { restrictions: [{ type: 'ip', value: '192.0.2.0/24' }] },
        }),
        201,
      );
      expect(elsewhere).toEqual([expect.objectContaining({ clientId: client.id, type: 'ip', value: '192.0.2.0/24' })]);
      expectError(await useKey(key), 403, 'ACCESS_RESTRICTED');

      const both = expectData(
        await api.send('POST', path, {
          token: owner.token,
          json: { restrictions: [{ type: 'ip', value: api.clientIp }] },
        }),
        201,
      );
      expect(both).toHaveLength(2);
      expect((await useKey(key)).status).toBe(200);

      const mine = both.find((r: { id: string }) => r.id !== elsewhere[0].id);
      const remaining = expectData(await api.send('DELETE', path, { token: owner.token, json: { ids: [mine.id] } }));
      expect(remaining.map((r: { id: string }) => r.id)).toEqual([elsewhere[0].id]);
      expectError(await useKey(key), 403, 'ACCESS_RESTRICTED');
      expect(
        expectData(await api.send('DELETE', path, { token: owner.token, json: { ids: [elsewhere[0].id] } })),
      ).toEqual([]);
      expect((await useKey(key)).status).toBe(200);
    });

    it('restricts a key by the Origin host', async () => {
      const { owner, client, key } = await clientOf('host');
      const path = `/clients/${client.id}/access-restrictions`;
      expectData(
        await api.send('POST', path, {
          token: owner.token,
          json: { restrictions: [{ type: 'host', value: '*.example.com' }] },
        }),
        201,
      );
      expectError(await useKey(key), 403, 'ACCESS_RESTRICTED');
      expectError(await useKey(key, { origin: 'https://evil.test' }), 403, 'ACCESS_RESTRICTED');
      expect((await useKey(key, { origin: 'https://app.example.com' })).status).toBe(200);
      expect(expectPage(await api.send('GET', path, { token: owner.token }))).toHaveLength(1);
    });

    it('restricts a key by API name, which only sysadmins manage', async () => {
      const { owner, client, key } = await clientOf('api');
      const path = `/clients/${client.id}/access-restrictions`;
      const other = { restrictions: [{ type: 'api', value: 'some-other-api' }] };
      expectError(await api.send('POST', path, { token: owner.token, json: other }), 403, 'FORBIDDEN');
      const admin = await api.sysadmin();
      const added = expectData(await api.send('POST', path, { token: admin, json: other }), 201);
      expectError(await useKey(key), 403, 'ACCESS_RESTRICTED');
      expectError(
        await api.send('DELETE', path, { token: owner.token, json: { ids: [added[0].id] } }),
        403,
        'FORBIDDEN',
      );
      expectData(
        await api.send('POST', path, { token: admin, json: { restrictions: [{ type: 'api', value: api.apiName }] } }),
        201,
      );
      expect((await useKey(key)).status).toBe(200);
    });

    it('validates restriction values, naming the bad entry', async () => {
      const { owner, client } = await clientOf('bad-restriction');
      const reply = await api.send('POST', `/clients/${client.id}/access-restrictions`, {
        token: owner.token,
        json: {
          restrictions: [
            { type: 'ip', value: '10.0.0.1' },
            { type: 'ip', value: '999.1.1.1' },
          ],
        },
      });
      expectError(reply, 400, 'VALIDATION_FAILED');
      expect(reply.body.error.details[0].path).toMatch(/^restrictions\.1/);
    });
  });
}
