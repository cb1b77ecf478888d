import { parseArgs } from 'node:util';
import type { Knex } from 'knex';
import { createKnexFromUrl, migrate, SqlIo } from './adapters/sql';
import type { CliCommand, CliContext } from './cli';
import { describeAccountsError, operatorLib } from './cli-support';
import { createAccounts } from './create-accounts';
import type { Caller } from './domain/context';

export interface BootstrapInput {
  email: string;
  name: string;
  /** Absent: a passwordless sysadmin, who logs in with an emailed code. */
  password?: string;
  /** Also create an organization owned by the sysadmin with a `system` client of this name. */
  systemClient?: string;
  /** The organization's name; default "System". */
  organization?: string;
  bcryptCost?: number;
}

export interface BootstrapResult {
  userId: string;
  client?: { id: string; organizationId: string; key: string };
}

/**
 * Creates the first sysadmin on an empty database, and optionally a `system` client: the one way in
 * when no one may grant roles yet. Refuses a database that has users, so it can never be used to
 * mint a sysadmin on a live system. The address is marked verified (the operator vouches for it)
 * and the password, when given, must pass the password policy.
 */
export async function bootstrap(knex: Knex, input: BootstrapInput): Promise<BootstrapResult> {
  await migrate(knex);
  const [{ count }] = await knex('users').count({ count: '*' });
  if (Number(count) > 0) throw new Error('the database already has users; bootstrap only sets up an empty one');

  const io = new SqlIo(knex);
  // The verify-email code is not needed: the address is marked verified below.
  const lib = operatorLib({ bcryptCost: input.bcryptCost });
  const accounts = createAccounts({ io, lib });
  const registered = await accounts.users.register(
    { name: input.name, email: input.email, password: input.password },
    { ip: null, userAgent: 'accounts-module bootstrap' },
  );
  if (registered.err) throw new Error(describeAccountsError(registered.val));
  const user = registered.val;
  await io.transaction(async (tx) => {
    await tx.updateUser(user.id, { roles: ['sysadmin', 'user'], updatedAt: lib.now() });
    for (const email of user.emails ?? []) await tx.markLoginEmailVerified(email.address, lib.now());
  });
  if (input.systemClient === undefined) return { userId: user.id };

  const caller: Caller = { user: { id: user.id, roles: ['sysadmin', 'user'], sessionId: null } };
  const organization = await accounts.organizations.create(caller, { name: input.organization ?? 'System' });
  if (organization.err) throw new Error(describeAccountsError(organization.val));
  const created = await accounts.clients.create(
    caller,
    organization.val.id,
    { name: input.systemClient },
    { roles: ['system'] },
  );
  if (created.err) throw new Error(describeAccountsError(created.val));
  const { client, key } = created.val;
  return { userId: user.id, client: { id: client.id, organizationId: client.organizationId, key } };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** `accounts-module bootstrap`: see `bootstrap`. */
export const bootstrapCommand: CliCommand = {
  summary: 'create the first sysadmin user (and optionally a system client) on an empty database',
  usage:
    'bootstrap --email <address> [--name <name>] [--password-stdin] [--system-client <name> [--organization <name>]] [--url <database>]',
  async run(args: string[], context: CliContext): Promise<number> {
    const { values } = parseArgs({
      args,
      strict: true,
      options: {
        url: { type: 'string' },
        email: { type: 'string' },
        name: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        'system-client': { type: 'string' },
        organization: { type: 'string' },
      },
    });
    const url = values.url ?? context.env.DATABASE_URL;
    if (!url || !values.email) {
      context.err(
        `bootstrap: --email is required, and --url or DATABASE_URL\nUsage: accounts-module ${bootstrapCommand.usage}`,
      );
      return 2;
    }
    // Read from stdin, never from an argument: arguments end up in shell history and `ps`.
    const password = values['password-stdin'] ? await readStdin() : undefined;
    const cost = context.env.ACCOUNTS_BCRYPT_COST;
    const knex = createKnexFromUrl(url, { pool: { min: 0, max: 1 } });
    try {
      const result = await bootstrap(knex, {
        email: values.email,
        name: values.name ?? 'Administrator',
        password,
        systemClient: values['system-client'],
        organization: values.organization,
        bcryptCost: cost ? Number(cost) : undefined,
      });
      context.out(`Created sysadmin ${result.userId} <${values.email.trim().toLowerCase()}>.`);
      if (password === undefined) context.out('It has no password: log in with a code sent to that address.');
      if (result.client) {
        context.out(`Created system client ${result.client.id} in organization ${result.client.organizationId}.`);
        context.out(`Its key, shown this once: ${result.client.key}`);
      }
      return 0;
    } finally {
      await knex.destroy();
    }
  },
};
