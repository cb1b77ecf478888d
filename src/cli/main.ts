#!/usr/bin/env node
/**
 * The `accounts-module` command line (the package's bin). Commands live in `./commands`.
 *
 *   npx accounts-module migrate --url mysql://user:pass@host/db
 *   npx accounts-module migrate            (reads DATABASE_URL)
 *   npx accounts-module roles --email ann@example.com --set employee,user
 *   npx accounts-module prune-events --older-than 90d
 *   npx accounts-module help roles
 */
import { COMMANDS } from './commands';
import { type CliCommand, type CliContext, CliUsageError } from './types';
import { packageVersion } from './version';

export type { CliCommand, CliContext } from './types';

const HELP_FLAGS = new Set(['--help', '-h']);

function printOverview(print: (line: string) => void): void {
  print('Usage: accounts-module <command> [options]');
  print('');
  print('Commands:');
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length)) + 2;
  for (const [name, command] of Object.entries(COMMANDS)) print(`  ${name.padEnd(width)}${command.summary}`);
  print('');
  print('Options: --help (also `help <command>` and `<command> --help`), --version');
  print('A database URL is mysql://…, postgres://…, sqlite:<path> or a plain path (a SQLite file).');
}

function printCommandHelp(name: string, command: CliCommand, print: (line: string) => void): void {
  print(`Usage: accounts-module ${command.usage}`);
  print('');
  print(`${name}: ${command.summary}`);
  print('');
  for (const line of command.details) print(line === '' ? '' : `  ${line}`);
}

function unknownCommand(name: string, context: CliContext): number {
  context.err(`Unknown command "${name}": the commands are ${Object.keys(COMMANDS).join(', ')}.`);
  context.err('Run `accounts-module --help` for what each does.');
  return 2;
}

/**
 * Runs one command line (`argv` without node and the script) and resolves to the exit code: 0 done,
 * 1 the command failed, 2 it was used wrongly (the message names the flag or variable and what to do).
 */
export async function main(argv: string[], context: CliContext): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    printOverview(context.err);
    return 2;
  }
  if (HELP_FLAGS.has(name)) {
    printOverview(context.out);
    return 0;
  }
  if (name === '--version' || name === '-v') {
    context.out(packageVersion());
    return 0;
  }
  if (name === 'help') {
    const topic = args[0];
    if (topic === undefined) {
      printOverview(context.out);
      return 0;
    }
    const command = Object.hasOwn(COMMANDS, topic) ? COMMANDS[topic] : undefined;
    if (!command) return unknownCommand(topic, context);
    printCommandHelp(topic, command, context.out);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) return unknownCommand(name, context);
  if (args.some((arg) => HELP_FLAGS.has(arg))) {
    printCommandHelp(name, command, context.out);
    return 0;
  }
  try {
    return await command.run(args, context);
  } catch (error) {
    if (error instanceof CliUsageError) {
      context.err(`${name}: ${error.message}`);
      context.err(`Usage: accounts-module ${command.usage}   (accounts-module help ${name} for more)`);
      return 2;
    }
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
