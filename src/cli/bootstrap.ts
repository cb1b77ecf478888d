import type { Knex } from 'knex';
import { migrate, redactDatabaseUrl, SqlIo } from '../adapters/sql';
import { createAccounts } from '../create-accounts';
import { normalizeEmail } from '../domain/codecs';
import type { Caller } from '../domain/context';
import {
  bcryptCostFrom,
  chooseDatabase,
  type DatabaseChoice,
  describeAccountsError,
  openDatabase,
  operatorLib,
  parseFlags,
} from './support';
import { type CliCommand, type CliContext, CliUsageError } from './types';

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

/** `bootstrap` met a database that has users: the first sysadmin is granted with `roles` instead. */
export class DatabaseHasUsersError extends Error {
  override readonly name = 'DatabaseHasUsersError';
  constructor(readonly userCount: number) {
    super(`the database already has ${userCount} user(s); bootstrap only sets up an empty database`);
  }
}

/**
 * Creates the first sysadmin on an empty database, and optionally a `system` client: the one way in
 * when no one may grant roles yet. Refuses a database that has users (`DatabaseHasUsersError`), so it
 * can never be used to mint a sysadmin on a live system. The address is marked verified (the operator
 * vouches for it) and the password, when given, must pass the password policy.
 */
export async function bootstrap(knex: Knex, input: BootstrapInput): Promise<BootstrapResult> {
  await migrate(knex);
  const [{ count }] = await knex('users').count({ count: '*' });
  if (Number(count) > 0) throw new DatabaseHasUsersError(Number(count));

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

/**
 * The `roles` command that makes `email` a sysadmin on the same database. The URL is repeated only
 * when it was a flag without a password: a password belongs in DATABASE_URL, not in a printed line.
 */
export function grantSysadminCommand(database: DatabaseChoice, email: string): string {
  let url = '';
  if (database.source === '--url') {
    // A URL with a credential in it is not printed: the placeholder stands for it.
    url = redactDatabaseUrl(database.url) === database.url ? ` --url ${database.url}` : ' --url <database URL>';
  }
  return `accounts-module roles${url} --email ${email} --set sysadmin,user`;
}

/** `accounts-module bootstrap`: see `bootstrap`. */
export const bootstrapCommand: CliCommand = {
  summary: 'create the first sysadmin user (and optionally a system client) on an empty database',
  usage:
    'bootstrap --email <address> [--name <name>] [--password-stdin] [--system-client <name> [--organization <name>]] [--url <database URL>]',
  details: [
    "--email <address>        the sysadmin's login email, marked verified (required)",
    '--name <name>            the sysadmin\'s name; default "Administrator"',
    '--password-stdin         read a password from standard input; without it the sysadmin logs in by code',
    '--system-client <name>   also create an organization with a `system` client of this name; its key',
    '                         is printed once',
    '--organization <name>    that organization\'s name; default "System"',
    '--url <database URL>     default: $DATABASE_URL',
    '',
    'The database must have no users. On one that has, grant the role with `accounts-module roles`.',
    "Example: echo 'a long admin passphrase' | accounts-module bootstrap --url ./data/accounts.db \\",
    '           --email root@example.com --password-stdin',
  ],
  async run(args: string[], context: CliContext): Promise<number> {
    const flags = parseFlags(args, {
      url: { type: 'string' },
      email: { type: 'string' },
      name: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      'system-client': { type: 'string' },
      organization: { type: 'string' },
    });
    if (flags.email === undefined || flags.email.trim() === '') {
      throw new CliUsageError("--email is missing: give the new sysadmin's address, e.g. --email root@example.com");
    }
    if (flags.organization !== undefined && flags['system-client'] === undefined) {
      throw new CliUsageError('--organization names the organization of --system-client: pass --system-client too');
    }
    const database = chooseDatabase(flags.url, context);
    const bcryptCost = bcryptCostFrom(context.env);
    // Read from stdin, never from an argument: arguments end up in shell history and `ps`.
    const password = flags['password-stdin'] ? await readStdin() : undefined;
    if (password === '') {
      throw new CliUsageError(
        "--password-stdin read an empty password: pipe one in (echo 'a long passphrase' | accounts-module bootstrap …) or leave the flag out for a passwordless sysadmin",
      );
    }
    const email = normalizeEmail(flags.email);
    const knex = openDatabase(database);
    try {
      const result = await bootstrap(knex, {
        email: flags.email,
        name: flags.name ?? 'Administrator',
        password,
        systemClient: flags['system-client'],
        organization: flags.organization,
        bcryptCost,
      });
      context.out(`Created sysadmin ${result.userId} <${email}>.`);
      if (password === undefined) context.out('It has no password: log in with a code sent to that address.');
      if (result.client) {
        context.out(`Created system client ${result.client.id} in organization ${result.client.organizationId}.`);
        context.out(`Its key, shown this once: ${result.client.key}`);
      }
      return 0;
    } catch (error) {
      if (!(error instanceof DatabaseHasUsersError)) throw error;
      context.err(`bootstrap: ${error.message}, so nothing was changed.`);
      // The address given to bootstrap is most likely nobody's yet: the command names a placeholder.
      context.err(
        `To make an existing user a sysadmin, run: ${grantSysadminCommand(database, "<that user's address>")}`,
      );
      return 1;
    } finally {
      await knex.destroy();
    }
  },
};
