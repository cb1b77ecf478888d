import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Knex } from 'knex';
import {
  ConsoleEmailer,
  DefaultLib,
  type DefaultLibTokenOptions,
  type Emailer,
  generateHs256Secret,
  MultiEmailer,
  OutboxEmailer,
} from '../src/adapters/lib';
import { createKnexFromUrl, migrate, SqlIo, SqlRateLimitStore } from '../src/adapters/sql';
import { createAccounts } from '../src/create-accounts';
import type { Accounts } from '../src/domain/accounts';
import { createHandlers, toNodeListener } from '../src/handlers';

/** Everything the example server can be told; `serverOptionsFromEnv` reads them from the environment. */
export interface ServerOptions {
  /** Default 3000; 0 picks a free port (the bound one is in `RunningServer.port`). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** `mysql://…`, `postgres://…` or `sqlite:<path>`. Default `sqlite:<dataDir>/accounts.db`. */
  databaseUrl?: string;
  /** Holds the SQLite file and the generated HS256 key. Default `./data`. */
  dataDir?: string;
  /** HS256 secret (32 bytes or more). Default: generated once into `<dataDir>/jwt-secret`. */
  jwtSecret?: string;
  /** A PEM private key (RSA, EC P-256 or Ed25519), or the path of a file holding one: signs asymmetrically. */
  jwtPrivateKey?: string;
  /**
   * The key verification codes are stored under (HMAC, 32 bytes or more), never in the database.
   * Default: generated once into `<dataDir>/code-secret`.
   */
  codeSecret?: string;
  /** A file every email is appended to as one JSON line (development). */
  devOutbox?: string;
  /** bcrypt cost; default 10. Lower only in tests. */
  bcryptCost?: number;
  /** See `HandlersOptions.trustProxy`. Default false. */
  trustProxy?: boolean | number;
  /** Where request lines and notices go. Default `console.log`. */
  log?: (line: string) => void;
  /** Where the console emailer prints. Default stdout. */
  writeEmail?: (text: string) => void;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  accounts: Accounts;
  server: Server;
  knex: Knex;
  /** Stops accepting connections, ends idle ones, waits for requests in flight, closes the database. */
  close(): Promise<void>;
}

/** `ACCOUNTS_TRUST_PROXY` as a word; anything else is a number of proxies (unset or empty: not given). */
const TRUST_PROXY_WORDS = new Map([
  ['true', true],
  ['false', false],
]);

/** Reads the variables of HTTP.md ("The example server") and a few for tests and proxies. */
export function serverOptionsFromEnv(env: NodeJS.ProcessEnv): ServerOptions {
  const number = (name: string): number | undefined => {
    const value = env[name];
    if (value === undefined || value === '') return undefined;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be a whole number, not "${value}"`);
    return parsed;
  };
  return {
    port: number('PORT'),
    host: env.HOST || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.ACCOUNTS_DATA_DIR || undefined,
    jwtSecret: env.ACCOUNTS_JWT_SECRET || undefined,
    jwtPrivateKey: env.ACCOUNTS_JWT_PRIVATE_KEY || undefined,
    codeSecret: env.ACCOUNTS_CODE_SECRET || undefined,
    devOutbox: env.ACCOUNTS_DEV_OUTBOX || undefined,
    bcryptCost: number('ACCOUNTS_BCRYPT_COST'),
    trustProxy: TRUST_PROXY_WORDS.get(env.ACCOUNTS_TRUST_PROXY ?? '') ?? number('ACCOUNTS_TRUST_PROXY'),
  };
}

/** Builds the accounts system on SQL, migrates, and serves the route table on node:http. */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => console.log(line));
  const dataDir = resolve(options.dataDir ?? 'data');
  const databaseUrl = options.databaseUrl ?? `sqlite:${join(dataDir, 'accounts.db')}`;

  const tokens = tokenOptions(options, dataDir, log);
  const knex = createKnexFromUrl(databaseUrl);
  try {
    await migrate(knex);
    const lib = new DefaultLib({
      tokens,
      codeSecret:
        options.codeSecret ?? keptSecret(dataDir, 'code-secret', 'ACCOUNTS_CODE_SECRET', 'a verification-code', log),
      passwords: options.bcryptCost === undefined ? undefined : { bcryptCost: options.bcryptCost },
      emailer: emailerFor(options),
    });
    const accounts = createAccounts({ io: new SqlIo(knex), lib, rateLimits: new SqlRateLimitStore(knex) });
    const handlers = createHandlers(accounts, {
      trustProxy: options.trustProxy ?? false,
      logger: { error: (message, meta) => log(`${message} ${JSON.stringify(meta)}`) },
    });
    const listener = toNodeListener(handlers);
    const server = createServer((request, response) => {
      logRequest(request, response, log);
      listener(request, response);
    });
    await new Promise<void>((resolveListen, rejectListen) => {
      server.once('error', rejectListen);
      server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => {
        server.off('error', rejectListen);
        resolveListen();
      });
    });
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return {
      url: `http://${host}:${address.port}`,
      host: address.address,
      port: address.port,
      accounts,
      server,
      knex,
      close: () => closeServer(server, knex, accounts, log).finally(() => lib.close()),
    };
  } catch (error) {
    await knex.destroy();
    throw error;
  }
}

/** Longer paths are cut in the log: an id is never this long, and a client must not flood the log. */
const LOGGED_PATH_CHARACTERS = 200;

/**
 * `METHOD path status ms`: the path without its query string and never a header or body, so no token,
 * key, password or code reaches the log. Logged on 'close', which also fires for a request the client
 * abandoned before the answer was written (logged as `aborted`).
 */
function logRequest(request: IncomingMessage, response: ServerResponse, log: (line: string) => void): void {
  const started = process.hrtime.bigint();
  response.once('close', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const fullPath = (request.url ?? '/').split('?')[0];
    const path = fullPath.length > LOGGED_PATH_CHARACTERS ? `${fullPath.slice(0, LOGGED_PATH_CHARACTERS)}…` : fullPath;
    const status = response.writableFinished ? String(response.statusCode) : 'aborted';
    log(`${request.method} ${path} ${status} ${ms.toFixed(1)}ms`);
  });
}

/**
 * The signing key: a private key (PEM text, or a file holding one) for an asymmetric algorithm, else
 * an HS256 secret: given, or generated once and kept in the data directory (owner-only permissions),
 * so tokens survive restarts.
 */
function tokenOptions(options: ServerOptions, dataDir: string, log: (line: string) => void): DefaultLibTokenOptions {
  if (options.jwtPrivateKey) {
    const key = options.jwtPrivateKey.includes('-----BEGIN')
      ? options.jwtPrivateKey
      : readFileSync(resolve(options.jwtPrivateKey), 'utf8');
    return { privateKey: key };
  }
  if (options.jwtSecret) return { secret: options.jwtSecret };
  return { secret: keptSecret(dataDir, 'jwt-secret', 'ACCOUNTS_JWT_SECRET', 'an HS256 signing', log) };
}

/**
 * A secret generated once into `<dataDir>/<name>` (owner-only permissions) and read back at every
 * start, so tokens and pending codes survive restarts. Never in the database: a dump alone must not
 * hold what signs tokens or what codes are stored under.
 */
function keptSecret(
  dataDir: string,
  name: string,
  variable: string,
  what: string,
  log: (line: string) => void,
): string {
  const file = join(dataDir, name);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    try {
      writeFileSync(file, `${generateHs256Secret()}\n`, { mode: 0o600, flag: 'wx' });
      log(`Generated ${what} key in ${file} (set ${variable} to use your own).`);
    } catch (error) {
      // Another process created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return readFileSync(file, 'utf8').trim();
}

function emailerFor(options: ServerOptions): Emailer {
  const console = new ConsoleEmailer(options.writeEmail ? { write: options.writeEmail } : {});
  return options.devOutbox ? new MultiEmailer(console, new OutboxEmailer(resolve(options.devOutbox))) : console;
}

/** How long a shutdown waits for code emails still on their way (a mail transport may hang). */
const DELIVERY_GRACE_MS = 10_000;

async function closeServer(server: Server, knex: Knex, accounts: Accounts, log: (line: string) => void): Promise<void> {
  const closed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
  server.closeIdleConnections();
  // Requests in flight get a moment to finish; then their connections are cut.
  const deadline = setTimeout(() => server.closeAllConnections(), 5000);
  deadline.unref();
  await closed;
  clearTimeout(deadline);
  // Emails that went out after their answers may still be on their way: give them a moment.
  if (!(await accounts.settled(DELIVERY_GRACE_MS))) {
    log(`shutting down with ${accounts.pendingDeliveries} code email(s) undelivered`);
  }
  await knex.destroy();
}
