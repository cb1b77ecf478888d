import { currentSchemaVersion, migrate } from '../adapters/sql';
import { chooseDatabase, openDatabase, parseFlags } from './support';
import type { CliCommand } from './types';

/** `accounts-module migrate`: creates or upgrades the tables; running it again changes nothing. */
export const migrateCommand: CliCommand = {
  summary: 'create or upgrade the accounts tables (safe to run again)',
  usage: 'migrate [--url <database URL>]',
  details: [
    '--url <database URL>  mysql://…, postgres://…, sqlite:<path> or a plain path (a SQLite file);',
    '                      default: $DATABASE_URL',
    '',
    'Example: accounts-module migrate --url ./data/accounts.db',
  ],
  async run(args, context) {
    const flags = parseFlags(args, { url: { type: 'string' } });
    const knex = openDatabase(chooseDatabase(flags.url, context));
    try {
      const applied = await migrate(knex);
      const version = await currentSchemaVersion(knex);
      context.out(
        applied.length === 0
          ? `Schema already up to date (${version}).`
          : `Applied ${applied.length} migration(s): ${applied.join(', ')}. Schema version: ${version}.`,
      );
      return 0;
    } finally {
      await knex.destroy();
    }
  },
};
