import { type Api, expectData, expectError, expectPage, expectPageOf } from './target';

/** Cursor pagination of list routes (docs/http.md, "Pagination"). */
export function describePagination(api: Api): void {
  describe('pagination', () => {
    it('pages through 5 memberships 2 at a time, each exactly once, ending with a null nextCursor', async () => {
      const { owner, id } = await api.organization('paged');
      const path = `/organizations/${id}/memberships`;
      for (let index = 0; index < 4; index++) {
        const member = await api.signUp(`paged-${index}`);
        expectData(
          await api.send('POST', path, { token: owner.token, json: { userId: member.id, role: 'member' } }),
          201,
        );
      }
      const everything = expectPage(await api.send('GET', path, { token: owner.token })).map(
        (membership: { id: string }) => membership.id,
      );
      expect(everything).toHaveLength(5);

      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${encodeURIComponent(cursor)}`;
        const page = expectPageOf<{ id: string }>(await api.send('GET', `${path}${query}`, { token: owner.token }));
        sizes.push(page.data.length);
        seen.push(...page.data.map((membership) => membership.id));
        cursor = page.nextCursor;
      } while (cursor !== null && sizes.length < 10);
      expect(sizes).toEqual([2, 2, 1]);
      expect(seen).toEqual(everything);
      expect(cursor).toBeNull();
    });

    it('refuses a limit outside 1 to 200, or not a number, naming limit', async () => {
      const { owner, id } = await api.organization('paged-limit');
      for (const limit of ['0', '201', 'abc', '1.5', '']) {
        const reply = await api.send('GET', `/organizations/${id}/memberships?limit=${limit}`, { token: owner.token });
        expectError(reply, 400, 'VALIDATION_FAILED');
        expect(reply.body.error.details).toEqual([{ path: 'limit', message: expect.any(String) }]);
      }
      expect(expectPage(await api.send('GET', `/users/me/sessions?limit=200`, { token: owner.token }))).toHaveLength(1);
    });

    it('refuses a malformed or tampered cursor, naming cursor', async () => {
      const { owner, id } = await api.organization('paged-cursor');
      const path = `/organizations/${id}/memberships`;
      const tampered = Buffer.from(JSON.stringify({ v: 2, t: 0, i: 'mem_x' })).toString('base64url');
      for (const cursor of ['not-a-cursor', '%%%', tampered, 'eyJ2IjoxfQ']) {
        const reply = await api.send('GET', `${path}?cursor=${encodeURIComponent(cursor)}`, { token: owner.token });
        expectError(reply, 400, 'VALIDATION_FAILED');
        expect(reply.body.error.details).toEqual([{ path: 'cursor', message: expect.any(String) }]);
      }
    });

    it('pages every list route', async () => {
      const { owner, id } = await api.organization('paged-routes');
      const client = expectData(
        await api.send('POST', `/organizations/${id}/clients`, { token: owner.token, json: { name: 'c' } }),
        201,
      ).client;
      for (const path of [
        `/organizations/${id}/memberships`,
        `/organizations/${id}/clients`,
        `/organizations/${id}/invitations`,
        `/clients/${client.id}/access-restrictions`,
        '/users/me/sessions',
        '/users/me/login-emails',
        '/users/me/invitations',
        `/organizations/${id}/events`,
        '/users/me/events',
      ]) {
        const page = expectPageOf(await api.send('GET', `${path}?limit=1`, { token: owner.token }));
        expect({ path, length: page.data.length <= 1 }).toEqual({ path, length: true });
        expectError(await api.send('GET', `${path}?limit=0`, { token: owner.token }), 400, 'VALIDATION_FAILED');
      }
    });

    it('serves the event trails to admins and to the user themself, and names every bad filter', async () => {
      const { owner, id } = await api.organization('events');
      const member = await api.signUp('events-member');
      expectData(
        await api.send('POST', `/organizations/${id}/memberships`, {
          token: owner.token,
          json: { userId: member.id, role: 'member' },
        }),
        201,
      );
      const organizationEvents = `/organizations/${id}/events`;
      const trail = expectPageOf<{ subjects: { organizationId: string } }>(
        await api.send('GET', `${organizationEvents}?limit=200`, { token: owner.token }),
      );
      expect(trail.data.every((event) => event.subjects.organizationId === id)).toBe(true);
      expectError(await api.send('GET', organizationEvents, { token: member.token }), 403, 'FORBIDDEN');

      const own = expectPageOf<{ type: string; subjects: { userId: string } }>(
        await api.send('GET', '/users/me/events?type=login.succeeded,login.failed&limit=200', { token: member.token }),
      );
      expect(own.data.every((event) => event.subjects.userId === member.id)).toBe(true);
      expect(own.data.every((event) => ['login.succeeded', 'login.failed'].includes(event.type))).toBe(true);
      expectError(await api.send('GET', `/users/${owner.id}/events`, { token: member.token }), 404, 'NOT_FOUND');
      expectPageOf(await api.send('GET', `/users/${member.id}/events`, { token: await api.sysadmin() }));

      const bad = await api.send('GET', `${organizationEvents}?type=login.nope&from=soon&to=2030-01-01`, {
        token: owner.token,
      });
      expectError(bad, 400, 'VALIDATION_FAILED');
      expect(bad.body.error.details.map((detail: { path: string }) => detail.path)).toEqual(['type', 'from', 'to']);
    });
  });
}
