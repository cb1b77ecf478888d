#!/usr/bin/env node
/**
 * The `accounts-module` command line. Each command is one entry of `COMMANDS`; add new ones there.
 *
 *   npx accounts-module migrate --url mysql://user:pass@host/db
 *   npx accounts-module migrate            (reads DATABASE_URL)
 *   npx accounts-module roles --email ann@example.com --set employee,user
 */
import { parseArgs } from 'node:util';
import { createKnexFromUrl, currentSchemaVersion, migrate } from './adapters/sql';
import { bootstrapCommand } from './cli-bootstrap';
import { rolesCommand } from './cli-roles';

export interface CliContext {
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface CliCommand {
  summary: string;
  usage: string;
  /** Runs with the arguments after the command name; resolves to the process exit code. */
  run(args: string[], context: CliContext): Promise<number>;
}

/** Reads `--url`, falling back to DATABASE_URL. */
function databaseUrl(args: string[], context: CliContext): string | null {
  const { values } = parseArgs({ args, options: { url: { type: 'string' } }, strict: true });
  return values.url ?? context.env.DATABASE_URL ?? null;
}

export const COMMANDS: Record<string, CliCommand> = {
  migrate: {
    summary: 'create or upgrade the accounts tables (safe to run again)',
    usage: 'migrate [--url <mysql://…|postgres://…|sqlite:<path>>]   (default: $DATABASE_URL)',
    async run(args, context) {
      const url = databaseUrl(args, context);
      if (url === null) {
        context.err('migrate: no database given: pass --url or set DATABASE_URL');
        return 2;
      }
      const knex = createKnexFromUrl(url, { pool: { min: 0, max: 1 } });
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
  },
  bootstrap: bootstrapCommand,
  roles: rolesCommand,
};

function help(context: CliContext): void {
  context.out('Usage: accounts-module <command> [options]\n\nCommands:');
  for (const [name, command] of Object.entries(COMMANDS)) context.out(`  ${name.padEnd(12)}${command.summary}`);
  context.out('');
  for (const command of Object.values(COMMANDS)) context.out(`  accounts-module ${command.usage}`);
}

export async function main(argv: string[], context: CliContext): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    help(context);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    context.err(`Unknown command "${name}".`);
    help(context);
    return 2;
  }
  try {
    return await command.run(args, context);
  } catch (error) {
    // Messages only: a stack or a driver's SQL has no place in a terminal transcript of a deploy.
    context.err(`${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), {
    env: process.env,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  }).then((code) => {
    process.exitCode = code;
  });
}
