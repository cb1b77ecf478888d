import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Knex } from 'knex';
import { DefaultLib } from '../adapters/lib';
import { createKnexFromUrl } from '../adapters/sql';
import type { AccountsError } from '../domain/errors';
import { type CliContext, CliUsageError } from './types';

/**
 * The `Lib` of the operator commands (bootstrap, roles): they sign no token and send no email, so a
 * throwaway key and a silent emailer satisfy its options, and production's refusal of the console
 * emailer does not apply.
 */
export function operatorLib(options: { bcryptCost?: number } = {}): DefaultLib {
  return new DefaultLib({
    tokens: { secret: randomBytes(32) },
    passwords: options.bcryptCost === undefined ? undefined : { bcryptCost: options.bcryptCost },
    emailer: { send: async () => undefined },
  });
}

/** An `AccountsError` as one terminal line: code, message and each bad field. */
export function describeAccountsError(error: Pick<AccountsError, 'code' | 'message' | 'details'>): string {
  const details = (error.details ?? []).map((detail) => `${detail.path} ${detail.message}`).join('; ');
  return `${error.code}: ${error.message}${details ? ` (${details})` : ''}`;
}

/** Where the database URL came from, so messages (and suggested commands) name the right setting. */
export interface DatabaseChoice {
  url: string;
  source: '--url' | 'DATABASE_URL';
}

/** `--url`, falling back to DATABASE_URL; a usage error naming both when neither is set. */
export function chooseDatabase(url: string | undefined, context: CliContext): DatabaseChoice {
  if (url !== undefined) return { url, source: '--url' };
  const fromEnv = context.env.DATABASE_URL;
  if (fromEnv !== undefined && fromEnv !== '') return { url: fromEnv, source: 'DATABASE_URL' };
  throw new CliUsageError(
    'no database given: pass --url <database URL> or set DATABASE_URL ' +
      '(e.g. --url ./data/accounts.db, --url postgres://user:pass@host/db)',
  );
}

/** Opens the chosen database on one connection (a command runs one statement at a time). */
export function openDatabase(choice: DatabaseChoice): Knex {
  return createKnexFromUrl(choice.url, { pool: { min: 0, max: 1 }, source: choice.source });
}

/** A command's flags as `parseArgs` options: each a string or a boolean, given at most once. */
export type FlagSpec = Record<string, { type: 'string' | 'boolean' }>;

/** The values of `FlagSpec`'s flags; an absent flag is `undefined`. */
export type Flags<Spec extends FlagSpec> = {
  [Name in keyof Spec]?: Spec[Name]['type'] extends 'boolean' ? boolean : string;
};

/**
 * The command's flags, with node's parser errors ("Unknown option '--emial'") turned into usage
 * errors, so they get the usage line and exit code 2 rather than "failed".
 */
export function parseFlags<const Spec extends FlagSpec>(args: string[], options: Spec): Flags<Spec> {
  try {
    // Strict parsing of single-valued string and boolean options yields exactly `Flags<Spec>`.
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Flags<Spec>;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) throw new CliUsageError(message);
    throw error;
  }
}

/** ACCOUNTS_BCRYPT_COST, when set: a whole number from 4 to 31 (bcrypt's bounds). */
export function bcryptCostFrom(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.ACCOUNTS_BCRYPT_COST;
  if (raw === undefined || raw === '') return undefined;
  const cost = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || cost < 4 || cost > 31) {
    throw new CliUsageError(
      `ACCOUNTS_BCRYPT_COST is "${raw}": it must be a whole number from 4 to 31; unset it for the default (10)`,
    );
  }
  return cost;
}
