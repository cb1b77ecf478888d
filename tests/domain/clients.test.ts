import { parseClientKey } from '../../src/domain/clients';
import type { CallerClient } from '../../src/domain/context';
import type { Page } from '../../src/domain/pagination';
import type { PublicClient } from '../../src/ports/entities';
import {
  type ClientWithKey,
  createClient,
  externalClient,
  NO_ORIGIN,
  type OrganizationCast,
  organizationCast,
  systemClient,
} from '../support/org-fixtures';
import { errCode, ok } from '../support/setup';

type Created = ClientWithKey;

async function storedSecretHash(cast: OrganizationCast, clientId: string): Promise<string> {
  const stored = await cast.world.io.findClientById(clientId);
  if (!stored) throw new Error('client not stored');
  return stored.secretHash;
}
describe('creating a client', () => {
  it('shows the key once, stores only its hash, and never returns the hash', async () => {
    const cast = await organizationCast();
    const { clients } = cast.world.accounts;
    const created = await createClient(cast);

    const parsed = parseClientKey(cast.world.lib.config.clientKeyPrefix, created.key);
    expect(parsed?.clientId).toBe(created.client.id);
    const hash = await storedSecretHash(cast, created.client.id);
    expect(hash).toBe(cast.world.lib.hashSecret(parsed?.secret ?? ''));
    expect(created.client).toEqual(
      expect.objectContaining({ organizationId: cast.organization.id, name: 'Backend', roles: ['external'] }),
    );
    expect(created.client.reqsPerSec).toBe(cast.world.lib.config.defaultReqsPerSec);

    const shown = JSON.stringify([
      created.client,
      await clients.get(cast.member, created.client.id),
      await clients.list(cast.member, cast.organization.id),
    ]);
    expect(shown).not.toContain(hash);
    expect(shown).not.toContain(parsed?.secret);
    expect(shown).not.toContain('secretHash');
    expect(shown).not.toContain('deletedAt');
    expect(cast.world.events).toContainEqual(
      expect.objectContaining({ type: 'client.created', clientId: created.client.id }),
    );
  });

  it('is for admins: members and employees get FORBIDDEN, outsiders NOT_FOUND', async () => {
    const cast = await organizationCast();
    const { clients } = cast.world.accounts;
    const input = { name: 'Backend' };
    expect(errCode(await clients.create(cast.member, cast.organization.id, input))).toBe('FORBIDDEN');
    expect(errCode(await clients.create(cast.employee, cast.organization.id, input))).toBe('FORBIDDEN');
    expect(errCode(await clients.create(cast.outsider, cast.organization.id, input))).toBe('NOT_FOUND');
    expect(errCode(await clients.create({}, cast.organization.id, input))).toBe('UNAUTHENTICATED');
    expect(await cast.world.io.listClients(cast.organization.id)).toEqual([]);
  });

  it('lets only sysadmins and system clients set reqsPerSec', async () => {
    const cast = await organizationCast();
    const { clients } = cast.world.accounts;
    const result = await clients.create(cast.owner, cast.organization.id, { name: 'Fast', reqsPerSec: 100 });
    expect(errCode(result)).toBe('FORBIDDEN');
    expect(result.err && result.val.details?.map((detail) => detail.path)).toEqual(['reqsPerSec']);

    for (const caller of [cast.sysadmin, systemClient()]) {
      const created = ok<Created>(await clients.create(caller, cast.organization.id, { name: 'Fast', reqsPerSec: -1 }));
      expect(created.client.reqsPerSec).toBe(-1);
    }
  });

  it('lets only system callers choose client roles (outside the HTTP body)', async () => {
    const cast = await organizationCast();
    const { clients } = cast.world.accounts;
    const input = { name: 'Ops' };
    expect(errCode(await clients.create(cast.owner, cast.organization.id, input, { roles: ['system'] }))).toBe(
      'FORBIDDEN',
    );
    const created = ok<Created>(
      await clients.create(cast.sysadmin, cast.organization.id, input, { roles: ['internal', 'internal'] }),
    );
    expect(created.client.roles).toEqual(['internal']);
    const bad = await clients.create(cast.sysadmin, cast.organization.id, input, { roles: ['root'] as never });
    expect(errCode(bad)).toBe('VALIDATION_FAILED');
  });

  it('refuses roles in the body and lists every bad field', async () => {
    const cast = await organizationCast();
    const result = await cast.world.accounts.clients.create(cast.owner, cast.organization.id, {
      name: '',
      reqsPerSec: 0,
      roles: ['system'],
    } as never);
    expect(errCode(result)).toBe('VALIDATION_FAILED');
    expect(result.err && result.val.details?.map((detail) => detail.path)).toEqual(['name', 'reqsPerSec', 'roles']);
  });

  it('still succeeds when the event hook throws or rejects', async () => {
    for (const onEvent of [
      () => {
        throw new Error('hook down');
      },
      () => Promise.reject(new Error('hook down')),
    ]) {
      const cast = await organizationCast({ libOptions: { onEvent } });
      const created = await createClient(cast);
      ok(await cast.world.accounts.clients.authenticate(created.key, NO_ORIGIN));
    }
  });
});

describe('reading clients', () => {
  it('is allowed to members, employees, system callers and the key itself', async () => {
    const cast = await organizationCast();
    const { clients } = cast.world.accounts;
    const created = await createClient(cast);
    const itself = externalClient(cast.organization.id, created.client.id);
    for (const caller of [cast.member, cast.employee, cast.sysadmin, systemClient(), itself]) {
      expect(ok<PublicClient>(await clients.get(caller, created.client.id)).id).toBe(created.client.id);
      ok(await clients.listRestrictions(caller, created.client.id));
    }
    expect(ok<Page<PublicClient>>(await clients.list(cast.member, cast.organization.id)).data).toHaveLength(1);
  });

  it('hides clients from outsiders and from other keys', async () => {
    const cast = await organizationCast();
    const { clients } = cast.world.accounts;
    const created = await createClient(cast);
    const otherKey = externalClient(cast.organization.id, 'cli_other');
    expect(errCode(await clients.get(cast.outsider, created.client.id))).toBe('NOT_FOUND');
    expect(errCode(await clients.get(otherKey, created.client.id))).toBe('NOT_FOUND');
    expect(errCode(await clients.list(cast.outsider, cast.organization.id))).toBe('NOT_FOUND');
    expect(errCode(await clients.get(cast.member, 'cli_unknown'))).toBe('NOT_FOUND');
    expect(errCode(await clients.get({}, created.client.id))).toBe('UNAUTHENTICATED');
  });

  it('lets a key read itself but not manage itself', async () => {
    const cast = await organizationCast();
    const created = await createClient(cast);
    const itself = externalClient(cast.organization.id, created.client.id);
    expect(errCode(await cast.world.accounts.clients.rotateKey(itself, created.client.id))).toBe('FORBIDDEN');
  });
});

describe('updating, rotating and deleting', () => {
  it('lets admins rename a client, and only sysadmins or system clients change reqsPerSec', async () => {
    const cast = await organizationCast();
    const { clients } = cast.world.accounts;
    const created = await createClient(cast);

    const renamed = ok<PublicClient>(await clients.update(cast.admin, created.client.id, { name: 'Worker' }));
    expect(renamed.name).toBe('Worker');
    expect(cast.world.events).toContainEqual(expect.objectContaining({ type: 'client.updated' }));
    const refused = await clients.update(cast.owner, created.client.id, { reqsPerSec: 50 });
    expect(errCode(refused)).toBe('FORBIDDEN');
    expect(refused.err && refused.val.details?.[0].path).toBe('reqsPerSec');
    expect(ok<PublicClient>(await clients.get(cast.owner, created.client.id)).reqsPerSec).toBe(10);

    expect(
      ok<PublicClient>(await clients.update(cast.sysadmin, created.client.id, { reqsPerSec: 50 })).reqsPerSec,
    ).toBe(50);
    const bySystem = await clients.update(
      systemClient(),
      created.client.id,
      { reqsPerSec: 70 },
      { roles: ['internal'] },
    );
    expect(ok<PublicClient>(bySystem)).toEqual(expect.objectContaining({ reqsPerSec: 70, roles: ['internal'] }));
    expect(errCode(await clients.update(cast.member, created.client.id, { name: 'X' }))).toBe('FORBIDDEN');
  });

  it('changes nothing for an empty patch', async () => {
    const cast = await organizationCast();
    const created = await createClient(cast);
    const before = cast.world.events.length;
    const same = ok<PublicClient>(await cast.world.accounts.clients.update(cast.admin, created.client.id, {}));
    expect(same).toEqual(created.client);
    expect(cast.world.events).toHaveLength(before);
  });

  it('rotating a key makes the old one fail and the new one work', async () => {
    const cast = await organizationCast();
    const { clients } = cast.world.accounts;
    const created = await createClient(cast);
    const rotated = ok<Created>(await clients.rotateKey(cast.admin, created.client.id));

    expect(rotated.key).not.toBe(created.key);
    expect(errCode(await clients.authenticate(created.key, NO_ORIGIN))).toBe('INVALID_CLIENT');
    expect(ok<CallerClient>(await clients.authenticate(rotated.key, NO_ORIGIN)).id).toBe(created.client.id);
    expect(JSON.stringify(rotated.client)).not.toContain(await storedSecretHash(cast, created.client.id));
    expect(cast.world.events).toContainEqual(expect.objectContaining({ type: 'client.rotated' }));
    expect(errCode(await clients.rotateKey(cast.member, created.client.id))).toBe('FORBIDDEN');
  });

  it('a deleted client is gone: its key is INVALID_CLIENT and reads are NOT_FOUND', async () => {
    const cast = await organizationCast();
    const { clients } = cast.world.accounts;
    const created = await createClient(cast);
    expect(errCode(await clients.delete(cast.member, created.client.id))).toBe('FORBIDDEN');
    ok(await clients.delete(cast.admin, created.client.id));

    expect(errCode(await clients.authenticate(created.key, NO_ORIGIN))).toBe('INVALID_CLIENT');
    expect(errCode(await clients.get(cast.admin, created.client.id))).toBe('NOT_FOUND');
    expect(errCode(await clients.delete(cast.admin, created.client.id))).toBe('NOT_FOUND');
    expect(ok<Page<PublicClient>>(await clients.list(cast.admin, cast.organization.id)).data).toEqual([]);
    expect(cast.world.events).toContainEqual(expect.objectContaining({ type: 'client.deleted' }));
  });
});

describe('authenticating a key', () => {
  it('answers the client with its roles', async () => {
    const cast = await organizationCast();
    const created = await createClient(cast);
    const caller = ok<CallerClient>(await cast.world.accounts.clients.authenticate(created.key, NO_ORIGIN));
    expect(caller).toEqual({ id: created.client.id, organizationId: cast.organization.id, roles: ['external'] });
  });

  it('refuses a wrong secret, a malformed key and an unknown id alike', async () => {
    const cast = await organizationCast();
    const { clients } = cast.world.accounts;
    const created = await createClient(cast);
    const prefix = cast.world.lib.config.clientKeyPrefix;
    const wrongSecret = `${prefix}_${created.client.id}_${cast.world.lib.newSecret()}`;
    const unknownId = `${prefix}_cli_Unknown123_${cast.world.lib.newSecret()}`;
    for (const key of [wrongSecret, unknownId, 'garbage', `${prefix}_cli_`, `other_${created.key}`, '']) {
      expect(errCode(await clients.authenticate(key, NO_ORIGIN))).toBe('INVALID_CLIENT');
    }
  });

  it('compares a secret even for an unknown id, so timing does not reveal which ids exist', async () => {
    const cast = await organizationCast();
    const safeEqual = jest.spyOn(cast.world.lib, 'safeEqual');
    const key = `${cast.world.lib.config.clientKeyPrefix}_cli_Unknown123_${cast.world.lib.newSecret()}`;
    expect(errCode(await cast.world.accounts.clients.authenticate(key, NO_ORIGIN))).toBe('INVALID_CLIENT');
    expect(safeEqual).toHaveBeenCalledTimes(1);
  });

  it('writes lastUsedAt at most once a minute', async () => {
    const cast = await organizationCast();
    const { clients } = cast.world.accounts;
    const created = await createClient(cast);
    const touch = jest.spyOn(cast.world.io, 'touchClientLastUsed');

    ok(await clients.authenticate(created.key, NO_ORIGIN));
    const firstUse = cast.world.clock.now();
    cast.world.clock.advance(10_000);
    ok(await clients.authenticate(created.key, NO_ORIGIN));
    expect(touch).toHaveBeenCalledTimes(1);
    expect(ok<PublicClient>(await clients.get(cast.admin, created.client.id)).lastUsedAt).toEqual(firstUse);

    cast.world.clock.advance(51_000);
    ok(await clients.authenticate(created.key, NO_ORIGIN));
    expect(touch).toHaveBeenCalledTimes(2);
    expect(ok<PublicClient>(await clients.get(cast.admin, created.client.id)).lastUsedAt).toEqual(
      cast.world.clock.now(),
    );
  });

  it('throttles a client to its reqsPerSec: the next request in the same second gets RATE_LIMITED', async () => {
    const cast = await organizationCast();
    const { clients } = cast.world.accounts;
    const created = await createClient(cast); // the default, 10 per second
    for (let request = 1; request <= 10; request++) ok(await clients.authenticate(created.key, NO_ORIGIN));
    const throttled = await clients.authenticate(created.key, NO_ORIGIN);
    expect(errCode(throttled)).toBe('RATE_LIMITED');
    expect((throttled.val as { retryAfterSeconds?: number }).retryAfterSeconds).toBe(1);

    cast.world.clock.advance(1000);
    ok(await clients.authenticate(created.key, NO_ORIGIN));
  });

  it('does not throttle a client whose reqsPerSec is -1, and follows a changed limit at once', async () => {
    const cast = await organizationCast();
    const { clients } = cast.world.accounts;
    const created = await createClient(cast);
    ok(await clients.update(cast.sysadmin, created.client.id, { reqsPerSec: -1 }));
    for (let request = 1; request <= 50; request++) ok(await clients.authenticate(created.key, NO_ORIGIN));

    ok(await clients.update(cast.sysadmin, created.client.id, { reqsPerSec: 1 }));
    cast.world.clock.advance(1000);
    ok(await clients.authenticate(created.key, NO_ORIGIN));
    expect(errCode(await clients.authenticate(created.key, NO_ORIGIN))).toBe('RATE_LIMITED');
  });
});
