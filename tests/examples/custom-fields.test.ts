import * as t from 'io-ts';
import { createAcmeAccounts, runCustomFieldsExample } from '../../examples/custom-fields';
import { DefaultLib, ManualClock } from '../../src/adapters/lib';
import { MemoryIo } from '../../src/adapters/memory';
import { SqlIo } from '../../src/adapters/sql';
import { createAccounts } from '../../src/create-accounts';
import type { Caller } from '../../src/domain/context';
import { createHandlers } from '../../src/handlers';
import type { Io } from '../../src/ports/io';
import { call, dataOf, errorOf } from '../handlers/helpers';
import { type DbKind, describeDb } from '../support/databases';
import { REQUEST, START, STRONG_PASSWORD, TEST_BCRYPT_COST, TEST_JWT_SECRET } from '../support/setup';

const BILLING: Caller = { client: { id: 'cli_billing', organizationId: '', roles: ['system'] } };

function testLib(): DefaultLib {
  const clock = new ManualClock(START);
  return new DefaultLib({
    tokens: { secret: TEST_JWT_SECRET },
    passwords: { bcryptCost: TEST_BCRYPT_COST },
    clock: () => clock.now(),
  });
}

describe('custom fields (examples/custom-fields.ts)', () => {
  it('runs: a typed field at registration, read-only and private fields set by trusted code, a bad value refused', async () => {
    const outcome = await runCustomFieldsExample(testLib());
    expect(outcome).toEqual({ locale: 'en', plan: 'pro', billingId: 'cus_4711', refusedFields: ['locale'] });
  });

  it('refuses codecs it cannot list, fields that shadow the entity’s own, and private fields HTTP would need', () => {
    const lib = testLib();
    const io = new MemoryIo();
    expect(() => createAccounts({ io, lib, fields: { user: t.string as never } })).toThrow(/t\.type, t\.partial/);
    expect(() => createAccounts({ io, lib, fields: { user: t.type({ roles: t.string }) } })).toThrow(/shadow/);
    expect(() => createAccounts({ io, lib, fields: { client: t.partial({ key: t.string }) } })).toThrow(/shadow/);
    expect(() =>
      createAccounts({ io, lib, fields: { user: { codec: t.type({ billingId: t.string }), private: ['billingId'] } } }),
    ).toThrow(/t\.partial/);
  });
});

for (const kind of ['memory', 'sqlite', 'mariadb', 'postgres'] as const) {
  const body = (makeIo: () => Io) => {
    let accounts: ReturnType<typeof createAcmeAccounts>;
    let handlers: ReturnType<typeof createHandlers>;
    let sequence = 0;
    beforeEach(() => {
      accounts = createAcmeAccounts(makeIo(), testLib());
      handlers = createHandlers(accounts);
    });

    async function signUp(locale = 'en') {
      sequence += 1;
      const email = `fields${sequence}-${Date.now()}@example.com`;
      const created = await call(handlers, 'POST', '/users', {
        json: { name: 'Ada', email, password: STRONG_PASSWORD, locale },
      });
      expect(created.status).toBe(201);
      const login = await call(handlers, 'POST', '/authn/password', { json: { email, password: STRONG_PASSWORD } });
      const user = dataOf<{ id: string; locale: string }>(created);
      return { user, token: dataOf<{ accessToken: string }>(login).accessToken };
    }

    it('registers with the fields, validated with the rest: every bad field named, unknown ones refused', async () => {
      const { user } = await signUp('de');
      expect(user.locale).toBe('de');
      const bad = await call(handlers, 'POST', '/users', {
        json: { name: '', email: 'not an address', locale: 'xx', colour: 'blue' },
      });
      expect(bad.status).toBe(400);
      expect(
        errorOf(bad)
          .details?.map((detail) => detail.path)
          .sort(),
      ).toEqual(['colour', 'email', 'locale', 'name']);
      const missing = await call(handlers, 'POST', '/users', { json: { name: 'Bo', email: 'bo@example.com' } });
      expect(errorOf(missing).details?.map((detail) => detail.path)).toEqual(['locale']);
    });

    it('never takes read-only or private fields over HTTP, and never shows private ones', async () => {
      for (const json of [
        { name: 'Eve', email: 'eve@example.com', locale: 'en', plan: 'pro' },
        { name: 'Eve', email: 'eve@example.com', locale: 'en', billingId: 'cus_1' },
      ]) {
        const refused = await call(handlers, 'POST', '/users', { json });
        expect(refused.status).toBe(400);
        expect(errorOf(refused).details?.[0]?.path).toMatch(/^(plan|billingId)$/);
      }
      const { user, token } = await signUp();
      const selfUpgrade = await call(handlers, 'PATCH', '/users/me', { token, json: { plan: 'pro' } });
      expect(selfUpgrade.status).toBe(400);
      // Acme's billing code, through the services.
      const upgraded = await accounts.users.update(BILLING, user.id, { plan: 'pro', billingId: 'cus_42' });
      expect(upgraded.ok && upgraded.val.billingId).toBe('cus_42');
      const shown = dataOf<Record<string, unknown>>(await call(handlers, 'GET', '/users/me', { token }));
      expect(shown).toMatchObject({ id: user.id, locale: 'en', plan: 'pro' });
      expect(shown).not.toHaveProperty('billingId');
      expect(JSON.stringify(shown)).not.toContain('cus_42');
    });

    it('updates one field and keeps the others, stored and read back equal', async () => {
      const { user, token } = await signUp();
      await accounts.users.update(BILLING, user.id, { plan: 'pro' });
      const patched = await call(handlers, 'PATCH', '/users/me', { token, json: { locale: 'fr' } });
      expect(dataOf(patched)).toMatchObject({ locale: 'fr', plan: 'pro' });
      const read = await accounts.users.get(BILLING, user.id);
      expect(read.ok && { locale: read.val.locale, plan: read.val.plan }).toEqual({ locale: 'fr', plan: 'pro' });
    });

    it('gives organizations their fields over HTTP: create, read, update', async () => {
      const { token } = await signUp();
      const created = await call(handlers, 'POST', '/organizations', {
        token,
        json: { name: 'Acme', avatarUrl: 'https://example.com/a.png' },
      });
      expect(created.status).toBe(201);
      const organization = dataOf<{ id: string; avatarUrl: string }>(created);
      expect(organization.avatarUrl).toBe('https://example.com/a.png');
      expect(organization).not.toHaveProperty('fields');
      const renamed = await call(handlers, 'PATCH', `/organizations/${organization.id}`, {
        token,
        json: { avatarUrl: 'https://example.com/b.png' },
      });
      expect(dataOf(renamed)).toMatchObject({ name: 'Acme', avatarUrl: 'https://example.com/b.png' });
      const wrong = await call(handlers, 'PATCH', `/organizations/${organization.id}`, {
        token,
        json: { avatarUrl: 7 },
      });
      expect(errorOf(wrong).details?.map((detail) => detail.path)).toEqual(['avatarUrl']);
      const read = await call(handlers, 'GET', `/organizations/${organization.id}`, { token });
      expect(dataOf(read)).toMatchObject({ avatarUrl: 'https://example.com/b.png' });
    });

    it('describes the fields in its OpenAPI document as HTTP treats them', async () => {
      const document = (await call(handlers, 'GET', '/openapi.json')).body as {
        components: { schemas: Record<string, { properties: Record<string, unknown>; required?: string[] }> };
      };
      const { User, RegisterInput, UpdateUserInput, Organization } = document.components.schemas;
      expect(Object.keys(User.properties)).toEqual(expect.arrayContaining(['locale', 'plan']));
      expect(User.properties).not.toHaveProperty('billingId');
      expect(RegisterInput.properties).toHaveProperty('locale');
      expect(RegisterInput.required).toContain('locale');
      expect(RegisterInput.properties).not.toHaveProperty('plan');
      expect(UpdateUserInput.properties).not.toHaveProperty('billingId');
      expect(Organization.properties).toHaveProperty('avatarUrl');
      // The library's own document is untouched.
      const plain = createHandlers(createAccounts({ io: makeIo(), lib: testLib() }));
      const own = (await call(plain, 'GET', '/openapi.json')).body as typeof document;
      expect(own.components.schemas.User.properties).not.toHaveProperty('locale');
    });

    it('changes nothing on a refused request', async () => {
      const { user, token } = await signUp();
      const before = await accounts.users.get(BILLING, user.id);
      const refused = await call(handlers, 'PATCH', '/users/me', { token, json: { locale: 'xx', name: 'New' } });
      expect(refused.status).toBe(400);
      expect(await accounts.users.get(BILLING, user.id)).toEqual(before);
    });
  };
  if (kind === 'memory') {
    describe('custom fields over HTTP [memory]', () => body(() => new MemoryIo()));
  } else {
    describeDb(kind as DbKind, 'custom fields over HTTP', (database) => body(() => new SqlIo(database().knex)));
  }
}

// Typed end to end: these lines are checked by `npm run typecheck`, never run.
async function typeChecks(io: Io) {
  const lib = testLib();
  const acme = createAcmeAccounts(io, lib);
  const user = await acme.users.register({ name: 'A', email: 'a@example.com', locale: 'de' }, REQUEST);
  if (user.ok) {
    const locale: 'en' | 'de' | 'fr' = user.val.locale;
    const plan: 'free' | 'pro' | undefined = user.val.plan;
    // @ts-expect-error a locale is one of the codec's
    const wrong: number = user.val.locale;
    void [locale, plan, wrong];
  }
  // @ts-expect-error a wrong field type fails to compile
  await acme.users.register({ name: 'A', email: 'a@example.com', locale: 'es' }, REQUEST);
  // A required field left out still compiles (the library's own signature takes the call): it is
  // refused when it runs, VALIDATION_FAILED naming it (tested above).
  // @ts-expect-error an unknown field is still refused
  await acme.users.register({ name: 'A', email: 'a@example.com', locale: 'de', colour: 'red' }, REQUEST);
  const organization = await acme.organizations.get(BILLING, 'org_1');
  if (organization.ok) {
    const avatar: string | undefined = organization.val.avatarUrl;
    void avatar;
  }

  // The default types are unchanged: no field of Acme's on a plain `createAccounts`.
  const plain = createAccounts({ io, lib });
  const plainUser = await plain.users.get(BILLING, 'usr_1');
  if (plainUser.ok) {
    // @ts-expect-error the library's user has no locale
    void plainUser.val.locale;
  }
  // @ts-expect-error nor does it take one
  await plain.users.register({ name: 'A', email: 'a@example.com', locale: 'de' }, REQUEST);
  // Still an Accounts: the handlers take it as it is.
  createHandlers(acme);
}
void typeChecks;
