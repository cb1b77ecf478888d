import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { redactDatabaseUrl } from '../src/adapters/sql';

/** The database could not be reached at startup, after every attempt or at once for a lasting cause. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

/** Where a database URL points, for messages: scheme, host, port and database, never user or password. */
export function describeDatabase(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.host !== '') return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    // Not a URL: a SQLite path (or a typo, which may still hold a credential: redacted below).
  }
  return redactDatabaseUrl(url);
}

/** First wait between attempts; it doubles up to `MAX_RETRY_DELAY_MS`. */
const FIRST_RETRY_DELAY_MS = 100;
/** Longest wait between attempts. */
export const MAX_RETRY_DELAY_MS = 2000;

/** The wait before attempt `attempt + 1` (attempts count from 1). */
export function retryDelayMs(attempt: number): number {
  return Math.min(FIRST_RETRY_DELAY_MS * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
}

/** How many attempts fit in `seconds` of waiting between them: at least one. */
export function attemptsWithin(seconds: number): number {
  let attempts = 1;
  for (let waited = retryDelayMs(1); waited <= seconds * 1000; waited += retryDelayMs(attempts)) attempts += 1;
  return attempts;
}

/**
 * Errors a retry cannot fix: wrong credentials, a database that does not exist (MySQL/MariaDB and
 * PostgreSQL codes). Failing at once tells the operator in a second instead of after every attempt.
 */
const LASTING_CODES = new Set([
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  '28P01',
  '28000',
  '3D000',
]);

/**
 * Runs `select 1` until it succeeds, trying `attempts` times with a backoff capped at 2 s, and logs
 * one line per failed attempt: where (host, never the password), attempt n of m and the driver's
 * error on one line. Throws `DatabaseUnavailableError` after the last attempt, or at once for
 * credentials or a missing database. (The server tries SQLite once: a local file does not come up
 * later.)
 */
export async function waitForDatabase(
  knex: Knex,
  options: {
    attempts: number;
    logger: Logger;
    where: string;
    password?: string;
    sleep?: (ms: number) => Promise<void>;
  },
): Promise<void> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt += 1) {
    try {
      await knex.raw('select 1');
      if (attempt > 1) options.logger.info({ database: options.where, attempt }, `database ${options.where} is up`);
      return;
    } catch (error) {
      const reason = oneLine(error, options.password);
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && LASTING_CODES.has(code)) {
        throw new DatabaseUnavailableError(
          `the database ${options.where} refused the connection (${reason}): check the user, password and database name in DATABASE_URL`,
        );
      }
      if (attempt >= options.attempts) {
        throw new DatabaseUnavailableError(
          `the database ${options.where} did not answer after ${attempt} attempt(s) (${reason}): check that it is ` +
            'running and that DATABASE_URL points at it; ACCOUNTS_DB_WAIT_SECONDS sets how long to wait (default 30)',
        );
      }
      const delay = retryDelayMs(attempt);
      options.logger.warn(
        { database: options.where, attempt, attempts: options.attempts, error: reason, retryInMs: delay },
        `database ${options.where} not reachable (attempt ${attempt} of ${options.attempts}): ${reason}`,
      );
      await sleep(delay);
    }
  }
}

/** Longest driver message kept: enough for "connect ECONNREFUSED 10.0.0.5:3306" and its kin. */
const REASON_CHARACTERS = 300;

/**
 * A driver error on one line without the password. Connecting to a name with several addresses
 * (`localhost`) fails with an AggregateError whose own message is empty: its first error says why.
 */
export function oneLine(error: unknown, password?: string): string {
  const inner = error instanceof AggregateError && error.errors.length > 0 ? error.errors[0] : error;
  const { message, code } = (inner ?? {}) as { message?: unknown; code?: unknown };
  let text = typeof message === 'string' && message !== '' ? message : String(code ?? inner);
  if (password) text = text.split(password).join('***');
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > REASON_CHARACTERS ? `${text.slice(0, REASON_CHARACTERS)}…` : text;
}

/**
 * Whether the database answers `select 1` within `timeoutMs`: null when it does, else why not (for
 * the log; the probe's answer never carries it). A query still running at the deadline is left to
 * finish or fail on its own.
 */
export async function databaseProblem(knex: Knex, timeoutMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  const query = knex.raw('select 1').then(
    () => null,
    (error: unknown) => oneLine(error),
  );
  try {
    return await Promise.race([query, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
