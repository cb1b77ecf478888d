import { parseArgs } from 'node:util';
import type { Knex } from 'knex';
import { createKnexFromUrl, SqlIo } from './adapters/sql';
import type { CliCommand } from './cli';
import { describeAccountsError, operatorLib } from './cli-support';
import { createAccounts } from './create-accounts';
import { normalizeEmail } from './domain/codecs';
import type { Caller } from './domain/context';
import type { UserRole } from './ports/entities';

/**
 * Whoever runs the command holds the database's credentials, which is more than any sysadmin: the
 * change goes through the service as a `system` caller, so it is validated and reported
 * (`user.roles_changed`) exactly as one a sysadmin makes through the library.
 */
const OPERATOR: Caller = Object.freeze<Caller>({
  client: { id: 'cli_operator', organizationId: '', roles: ['system'] },
});

/**
 * Shows a user's roles, or replaces them with `roles` (sysadmin, employee, user). Answers the roles the
 * user has afterwards; throws with a readable message for an unknown address or a bad role.
 */
export async function setUserRoles(knex: Knex, email: string, roles?: string[]): Promise<UserRole[]> {
  const io = new SqlIo(knex);
  const found = await io.findUserByEmail(normalizeEmail(email));
  if (!found || found.user.deletedAt) throw new Error(`no user has the address ${normalizeEmail(email)}`);
  if (roles === undefined) return found.user.roles;

  const changed = await createAccounts({ io, lib: operatorLib() }).users.setRoles(OPERATOR, found.user.id, {
    roles: roles as UserRole[],
  });
  if (changed.err) throw new Error(describeAccountsError(changed.val));
  return changed.val.roles;
}

/** `accounts-module roles`: see `setUserRoles`. */
export const rolesCommand: CliCommand = {
  summary: "show or replace a user's roles (sysadmin, employee, user); there is no HTTP route for this",
  usage: 'roles --email <address> [--set <role>[,<role>…]] [--url <database>]',
  async run(args, context) {
    const { values } = parseArgs({
      args,
      strict: true,
      options: { url: { type: 'string' }, email: { type: 'string' }, set: { type: 'string' } },
    });
    const url = values.url ?? context.env.DATABASE_URL;
    if (!url || !values.email) {
      context.err(
        `roles: --email is required, and --url or DATABASE_URL\nUsage: accounts-module ${rolesCommand.usage}`,
      );
      return 2;
    }
    const wanted = values.set
      ?.split(',')
      .map((role) => role.trim())
      .filter(Boolean);
    const knex = createKnexFromUrl(url, { pool: { min: 0, max: 1 } });
    try {
      const roles = await setUserRoles(knex, values.email, wanted);
      context.out(`${normalizeEmail(values.email)}: ${roles.length > 0 ? roles.join(', ') : '(no roles)'}`);
      return 0;
    } finally {
      await knex.destroy();
    }
  },
};
