import type { Knex } from 'knex';
import { SqlIo } from '../adapters/sql';
import { createAccounts } from '../create-accounts';
import { normalizeEmail } from '../domain/codecs';
import type { Caller } from '../domain/context';
import { USER_ROLES, type User, type UserRole } from '../ports/entities';
import { chooseDatabase, describeAccountsError, openDatabase, operatorLib, parseFlags } from './support';
import { type CliCommand, CliUsageError } from './types';

/**
 * Whoever runs the command holds the database's credentials, which is more than any sysadmin: the
 * change goes through the service as a `system` caller, so it is validated and reported
 * (`user.roles_changed`) exactly as one a sysadmin makes through the library.
 */
const OPERATOR: Caller = Object.freeze<Caller>({
  client: { id: 'cli_operator', organizationId: '', roles: ['system'] },
});

/** `roles --email` names no live user. */
export class UnknownUserError extends Error {
  override readonly name = 'UnknownUserError';
  constructor(readonly email: string) {
    super(`--email ${email}: no user has this address; check the spelling, or register the user first`);
  }
}

/** The change would leave the database without a sysadmin, and so with no one who can grant roles. */
export class LastSysadminError extends Error {
  override readonly name = 'LastSysadminError';
  constructor(readonly email: string) {
    super(
      `${email} is the only sysadmin who can log in: removing the role would leave no one able to grant roles. ` +
        'Make another user a sysadmin first (accounts-module roles --email <address> --set sysadmin,user), then change this one',
    );
  }
}

/**
 * Whether a user other than `exceptUserId` holds sysadmin and can use it. Banned sysadmins do not
 * count: they cannot log in, so they could not undo the change either.
 */
async function anotherActiveSysadmin(knex: Knex, exceptUserId: string): Promise<boolean> {
  const rows: { roles: string }[] = await knex('users')
    .select('roles')
    .whereNull('deleted_at')
    .whereNull('banned_at')
    .whereNot('id', exceptUserId)
    .where('roles', 'like', '%sysadmin%');
  return rows.some((row) => row.roles.split(',').includes('sysadmin'));
}

/**
 * Shows a user's roles, or replaces them with `roles` (sysadmin, employee, user). Answers the roles the
 * user has afterwards. Throws `UnknownUserError` for an unknown address and `LastSysadminError` when
 * the change would take the role from the last active sysadmin.
 */
export async function setUserRoles(knex: Knex, email: string, roles?: UserRole[]): Promise<UserRole[]> {
  const io = new SqlIo(knex);
  const address = normalizeEmail(email);
  const found = await io.findUserByEmail(address);
  if (!found || found.user.deletedAt) throw new UnknownUserError(address);
  if (roles === undefined) return found.user.roles;
  if (removesSysadmin(found.user, roles) && !(await anotherActiveSysadmin(knex, found.user.id))) {
    throw new LastSysadminError(address);
  }

  const changed = await createAccounts({ io, lib: operatorLib() }).users.setRoles(OPERATOR, found.user.id, {
    roles,
  });
  if (changed.err) throw new Error(describeAccountsError(changed.val));
  return changed.val.roles;
}

function removesSysadmin(user: User, roles: UserRole[]): boolean {
  return user.roles.includes('sysadmin') && !roles.includes('sysadmin');
}

/** `--set`'s comma-separated list, each checked against the known roles. */
export function parseRoleList(raw: string): UserRole[] {
  const names = raw
    .split(',')
    .map((role) => role.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !(USER_ROLES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new CliUsageError(
      `--set ${raw}: ${unknown.map((name) => `"${name}"`).join(', ')} is not a role; the roles are ${USER_ROLES.join(', ')}`,
    );
  }
  return [...new Set(names)] as UserRole[];
}

/** `accounts-module roles`: see `setUserRoles`. */
export const rolesCommand: CliCommand = {
  summary: "show or replace a user's roles (sysadmin, employee, user); there is no HTTP route for this",
  usage: 'roles --email <address> [--set <role>[,<role>…]] [--url <database URL>]',
  details: [
    '--email <address>        the user, by any of their login emails (required)',
    `--set <role>[,<role>…]   replace the user's roles with these (${USER_ROLES.join(', ')}); an empty`,
    '                         value removes them all. Without --set the roles are shown',
    '--url <database URL>     default: $DATABASE_URL',
    '',
    'The last sysadmin who can log in keeps the role: grant it to someone else first.',
    'Example: accounts-module roles --email ann@example.com --set employee,user',
  ],
  async run(args, context) {
    const flags = parseFlags(args, { url: { type: 'string' }, email: { type: 'string' }, set: { type: 'string' } });
    if (flags.email === undefined || flags.email.trim() === '') {
      throw new CliUsageError("--email is missing: give the user's login email, e.g. --email ann@example.com");
    }
    const wanted = flags.set === undefined ? undefined : parseRoleList(flags.set);
    const knex = openDatabase(chooseDatabase(flags.url, context));
    try {
      const roles = await setUserRoles(knex, flags.email, wanted);
      context.out(`${normalizeEmail(flags.email)}: ${roles.length > 0 ? roles.join(', ') : '(no roles)'}`);
      return 0;
    } finally {
      await knex.destroy();
    }
  },
};
