import * as t from 'io-ts';
import { DefaultLib } from '../src/adapters/lib';
import { MemoryIo } from '../src/adapters/memory';
import { createAccounts } from '../src/create-accounts';
import type { Io } from '../src/ports/io';
import type { Lib } from '../src/ports/lib';

/**
 * Your own fields on the library's entities (docs/fields.md): io-ts codecs per entity, given to
 * `createAccounts`. The services and their answers are typed from them; the shipped `Io`s keep them
 * in a JSON column.
 *
 * Acme's users pick a locale at sign-up; their plan is decided by Acme's billing code (read-only over
 * HTTP) and their billing id never leaves the server (private). Organizations may have an avatar.
 */
export const AcmeUserFields = t.intersection([
  t.type({ locale: t.keyof({ en: null, de: null, fr: null }) }),
  t.partial({ plan: t.keyof({ free: null, pro: null }), billingId: t.string }),
]);

export const AcmeOrganizationFields = t.partial({ avatarUrl: t.string });

export function createAcmeAccounts(io: Io, lib: Lib) {
  return createAccounts({
    io,
    lib,
    fields: {
      user: { codec: AcmeUserFields, readOnly: ['plan'], private: ['billingId'] },
      organization: AcmeOrganizationFields,
    },
  });
}

/** What the example does, end to end, on an in-memory `Io`. */
export async function runCustomFieldsExample(lib: Lib = new DefaultLib({ tokens: { secret: 'x'.repeat(32) } })) {
  const accounts = createAcmeAccounts(new MemoryIo(), lib);
  const request = { ip: '203.0.113.7', userAgent: 'example' };
  const registered = await accounts.users.register(
    { name: 'Ada Lovelace', email: 'ada@example.com', locale: 'en' },
    request,
  );
  if (registered.err) throw new Error(registered.val.message);
  // `locale` is typed: 'en' | 'de' | 'fr'.
  const locale: 'en' | 'de' | 'fr' = registered.val.locale;

  // Acme's billing code, trusted: a system caller sets what HTTP may not.
  const billing = { client: { id: 'cli_billing', organizationId: '', roles: ['system' as const] } };
  const upgraded = await accounts.users.update(billing, registered.val.id, { plan: 'pro', billingId: 'cus_4711' });
  if (upgraded.err) throw new Error(upgraded.val.message);

  const refused = await accounts.users.register(
    { name: 'Bob', email: 'bob@example.com', locale: 'xx' as 'en' },
    request,
  );
  return {
    locale,
    plan: upgraded.val.plan,
    billingId: upgraded.val.billingId,
    refusedFields: refused.err ? (refused.val.details ?? []).map((detail) => detail.path) : [],
  };
}

if (require.main === module) {
  runCustomFieldsExample().then(
    (outcome) => console.log(JSON.stringify(outcome)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
