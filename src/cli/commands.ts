import { bootstrapCommand } from './bootstrap';
import { migrateCommand } from './migrate';
import { pruneEventsCommand } from './prune-events';
import { rolesCommand } from './roles';
import type { CliCommand } from './types';

/** Every `accounts-module` command, by name; a new command is one file and one entry here. */
export const COMMANDS: Readonly<Record<string, CliCommand>> = Object.freeze({
  migrate: migrateCommand,
  bootstrap: bootstrapCommand,
  roles: rolesCommand,
  'prune-events': pruneEventsCommand,
});
