/** What a command sees of the process: its environment and where its lines go. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** One `accounts-module <name>` command; the table of them is `COMMANDS` in `./commands`. */
export interface CliCommand {
  /** One line for the list of commands. */
  summary: string;
  /** The synopsis after `accounts-module `, e.g. `migrate [--url <database>]`. */
  usage: string;
  /** The lines `accounts-module help <command>` prints under the synopsis: each option and an example. */
  details: string[];
  /** Runs with the arguments after the command name; resolves to the process exit code. */
  run(args: string[], context: CliContext): Promise<number>;
}

/**
 * A command used wrongly: a missing or bad flag or variable. Exit code 2, and the command's usage is
 * printed after the message, which names the flag, what is wrong and what to do.
 */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}
