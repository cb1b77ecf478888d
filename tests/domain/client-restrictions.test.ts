import type { CallerClient } from '../../src/domain/context';
import type { Page } from '../../src/domain/pagination';
import type { AccessRestriction } from '../../src/ports/entities';
import { createClient, NO_ORIGIN, organizationCast, systemClient } from '../support/org-fixtures';
import { errCode, ok } from '../support/setup';

/** Restrictions created in the same millisecond have no defined order among themselves. */
function byId(restrictions: AccessRestriction[]): AccessRestriction[] {
  return [...restrictions].sort((a, b) => a.id.localeCompare(b.id));
}

describe('access restrictions', () => {
  async function restricted(restrictions: { type: 'ip' | 'host' | 'api'; value: string }[]) {
    const cast = await organizationCast();
    const created = await createClient(cast);
    ok(await cast.world.accounts.clients.addRestrictions(cast.sysadmin, created.client.id, { restrictions }));
    return (request: { ip?: string | null; origin?: string | null; api?: string }) =>
      cast.world.accounts.clients
        .authenticate(created.key, { ip: null, origin: null, api: 'accounts', ...request })
        .then((result) => (result.ok ? 'ok' : result.val.code));
  }

  it('ORs two ip restrictions', async () => {
    const attempt = await restricted([
      { type: 'ip', value: '198.51.100.1' },
      { type: 'ip', value: '203.0.113.7' },
    ]);
    expect(await attempt({ ip: '203.0.113.7' })).toBe('ok');
    expect(await attempt({ ip: '198.51.100.1' })).toBe('ok');
    expect(await attempt({ ip: '198.51.100.2' })).toBe('ACCESS_RESTRICTED');
  });

  it('ANDs an ip and a host restriction', async () => {
    const attempt = await restricted([
      { type: 'ip', value: '203.0.113.0/24' },
      { type: 'host', value: 'app.example.com' },
    ]);
    expect(await attempt({ ip: '203.0.113.9', origin: 'https://app.example.com' })).toBe('ok');
    expect(await attempt({ ip: '203.0.113.9', origin: 'https://evil.test' })).toBe('ACCESS_RESTRICTED');
    expect(await attempt({ ip: '198.51.100.9', origin: 'https://app.example.com' })).toBe('ACCESS_RESTRICTED');
  });

  it('fails a host restriction for a request without an Origin', async () => {
    const attempt = await restricted([{ type: 'host', value: 'app.example.com' }]);
    expect(await attempt({ origin: null })).toBe('ACCESS_RESTRICTED');
  });

  it('matches a wildcard host at any depth but not the bare domain', async () => {
    const attempt = await restricted([{ type: 'host', value: '*.example.com' }]);
    expect(await attempt({ origin: 'https://a.b.example.com' })).toBe('ok');
    expect(await attempt({ origin: 'https://example.com' })).toBe('ACCESS_RESTRICTED');
  });

  it('matches IPv4 and IPv6 CIDR ranges, and IPv4-mapped socket addresses', async () => {
    const attempt = await restricted([
      { type: 'ip', value: '10.1.2.3/8' },
      { type: 'ip', value: '2001:db8::/32' },
    ]);
    expect(await attempt({ ip: '10.200.0.1' })).toBe('ok');
    expect(await attempt({ ip: '::ffff:10.9.9.9' })).toBe('ok');
    expect(await attempt({ ip: '2001:db8:1::5' })).toBe('ok');
    expect(await attempt({ ip: '2001:db9::5' })).toBe('ACCESS_RESTRICTED');
    expect(await attempt({ ip: '11.0.0.1' })).toBe('ACCESS_RESTRICTED');
  });

  it('limits a key to an API', async () => {
    const attempt = await restricted([{ type: 'api', value: 'billing' }]);
    expect(await attempt({ api: 'billing' })).toBe('ok');
    expect(await attempt({ api: 'accounts' })).toBe('ACCESS_RESTRICTED');
  });

  it('checks restrictions only for a proven key', async () => {
    const cast = await organizationCast();
    const created = await createClient(cast);
    const { clients } = cast.world.accounts;
    ok(
      await clients.addRestrictions(cast.admin, created.client.id, {
        restrictions: [{ type: 'ip', value: '10.0.0.1' }],
      }),
    );
    const wrong = `${cast.world.lib.config.clientKeyPrefix}_${created.client.id}_${cast.world.lib.newSecret()}`;
    expect(errCode(await clients.authenticate(wrong, NO_ORIGIN))).toBe('INVALID_CLIENT');
  });

  it('stores normalized values, skips duplicates and answers all of the restrictions', async () => {
    const cast = await organizationCast();
    const created = await createClient(cast);
    const { clients } = cast.world.accounts;
    ok(
      await clients.addRestrictions(cast.admin, created.client.id, {
        restrictions: [{ type: 'ip', value: '10.0.0.0/8' }],
      }),
    );
    const all = ok<AccessRestriction[]>(
      await clients.addRestrictions(cast.admin, created.client.id, {
        restrictions: [
          { type: 'ip', value: '10.1.1.1/8' },
          { type: 'host', value: 'App.Example.com' },
          { type: 'host', value: 'app.example.com' },
        ],
      }),
    );
    expect(all.map(({ type, value }) => `${type} ${value}`).sort()).toEqual(['host app.example.com', 'ip 10.0.0.0/8']);
    expect(ok<Page<AccessRestriction>>(await clients.listRestrictions(cast.member, created.client.id)).data).toEqual(
      all,
    );
    expect(cast.world.events.filter((event) => event.type === 'client.restrictions_changed')).toHaveLength(2);
  });

  it('reports every bad entry and adds none of them', async () => {
    const cast = await organizationCast();
    const created = await createClient(cast);
    const result = await cast.world.accounts.clients.addRestrictions(cast.admin, created.client.id, {
      restrictions: [
        { type: 'ip', value: '10.0.0.1/33' },
        { type: 'host', value: 'ok.example.com' },
        { type: 'host', value: 'https://example.com' },
      ],
    });
    expect(errCode(result)).toBe('VALIDATION_FAILED');
    expect(result.err && result.val.details?.map((detail) => detail.path)).toEqual([
      'restrictions.0.value',
      'restrictions.2.value',
    ]);
    expect(await cast.world.io.listAccessRestrictions(created.client.id)).toEqual([]);
  });

  it('lets only sysadmins and system clients add api restrictions', async () => {
    const cast = await organizationCast();
    const created = await createClient(cast);
    const { clients } = cast.world.accounts;
    const input = {
      restrictions: [
        { type: 'ip' as const, value: '10.0.0.1' },
        { type: 'api' as const, value: 'billing' },
      ],
    };
    const refused = await clients.addRestrictions(cast.owner, created.client.id, input);
    expect(errCode(refused)).toBe('FORBIDDEN');
    expect(refused.err && refused.val.details?.map((detail) => detail.path)).toEqual(['restrictions.1.type']);
    expect(await cast.world.io.listAccessRestrictions(created.client.id)).toEqual([]);

    const added = ok<AccessRestriction[]>(await clients.addRestrictions(systemClient(), created.client.id, input));
    expect(added.map(({ type }) => type).sort()).toEqual(['api', 'ip']);
  });

  it('is for admins: members get FORBIDDEN, outsiders NOT_FOUND', async () => {
    const cast = await organizationCast();
    const created = await createClient(cast);
    const { clients } = cast.world.accounts;
    const input = { restrictions: [{ type: 'ip' as const, value: '10.0.0.1' }] };
    expect(errCode(await clients.addRestrictions(cast.member, created.client.id, input))).toBe('FORBIDDEN');
    expect(errCode(await clients.addRestrictions(cast.outsider, created.client.id, input))).toBe('NOT_FOUND');
    expect(errCode(await clients.removeRestrictions(cast.member, created.client.id, { ids: ['x'] }))).toBe('FORBIDDEN');
    expect(errCode(await clients.listRestrictions(cast.outsider, created.client.id))).toBe('NOT_FOUND');
  });

  it('caps a client at 100 restrictions', async () => {
    const cast = await organizationCast();
    const created = await createClient(cast);
    const { clients } = cast.world.accounts;
    const many = (from: number, count: number) =>
      Array.from({ length: count }, (_, index) => ({ type: 'ip' as const, value: `10.0.${from + index}.1` }));
    ok(await clients.addRestrictions(cast.admin, created.client.id, { restrictions: many(0, 60) }));
    const result = await clients.addRestrictions(cast.admin, created.client.id, { restrictions: many(60, 41) });
    expect(errCode(result)).toBe('VALIDATION_FAILED');
    expect(await cast.world.io.listAccessRestrictions(created.client.id)).toHaveLength(60);
  });

  describe('removing', () => {
    async function withRestrictions() {
      const cast = await organizationCast();
      const created = await createClient(cast);
      const all = ok<AccessRestriction[]>(
        await cast.world.accounts.clients.addRestrictions(cast.sysadmin, created.client.id, {
          restrictions: [
            { type: 'ip', value: '10.0.0.1' },
            { type: 'host', value: 'app.example.com' },
            { type: 'api', value: 'billing' },
          ],
        }),
      );
      const find = (type: string) => all.find((restriction) => restriction.type === type) as AccessRestriction;
      const [ip, host, api] = [find('ip'), find('host'), find('api')];
      return { cast, clientId: created.client.id, ip, host, api, key: created.key };
    }

    it('answers what remains, and the removed restriction no longer applies', async () => {
      const { cast, clientId, ip, host, api, key } = await withRestrictions();
      const { clients } = cast.world.accounts;
      const remaining = ok<AccessRestriction[]>(
        await clients.removeRestrictions(cast.admin, clientId, { ids: [ip.id] }),
      );
      expect(byId(remaining)).toEqual(byId([host, api]));
      const request = { ip: '198.51.100.1', origin: 'https://app.example.com', api: 'billing' };
      expect(ok<CallerClient>(await clients.authenticate(key, request)).id).toBe(clientId);
    });

    it('refuses unknown ids and removes nothing', async () => {
      const { cast, clientId, ip } = await withRestrictions();
      const result = await cast.world.accounts.clients.removeRestrictions(cast.admin, clientId, {
        ids: [ip.id, 'res_unknown'],
      });
      expect(errCode(result)).toBe('VALIDATION_FAILED');
      expect(result.err && result.val.details?.map((detail) => detail.path)).toEqual(['ids.1']);
      expect(await cast.world.io.listAccessRestrictions(clientId)).toHaveLength(3);
    });

    it('lets only sysadmins and system clients remove api restrictions', async () => {
      const { cast, clientId, api } = await withRestrictions();
      const { clients } = cast.world.accounts;
      const refused = await clients.removeRestrictions(cast.owner, clientId, { ids: [api.id] });
      expect(errCode(refused)).toBe('FORBIDDEN');
      expect(refused.err && refused.val.details?.map((detail) => detail.path)).toEqual(['ids.0']);
      const remaining = ok<AccessRestriction[]>(
        await clients.removeRestrictions(systemClient(), clientId, { ids: [api.id] }),
      );
      expect(remaining.map(({ type }) => type).sort()).toEqual(['host', 'ip']);
    });
  });
});
