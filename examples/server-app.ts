import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import {
  ConsoleEmailer,
  DefaultLib,
  type DefaultLibTokenOptions,
  type Emailer,
  generateHs256Secret,
  MultiEmailer,
  OutboxEmailer,
} from '../src/adapters/lib';
import { createRedisRateLimitStore, type RedisRateLimitStore } from '../src/adapters/redis';
import { SmtpEmailer } from '../src/adapters/smtp';
import { createKnexFromUrl, migrate, SqlIo, SqlRateLimitStore } from '../src/adapters/sql';
import { createAccounts } from '../src/create-accounts';
import type { Accounts } from '../src/domain/accounts';
import { createHandlers, internalErrorResponse, Router, toNodeListener, writeResponse } from '../src/handlers';
import { REQUEST_ID_HEADER } from '../src/handlers/logger';
import type { AccountsMetrics } from '../src/metrics';
import { ConfigError, checkSecretLength, type ServerOptions, smtpSettings } from './server-config';
import { attemptsWithin, databaseProblem, describeDatabase, waitForDatabase } from './server-database';
import { type ServerEvents, startServerEvents } from './server-events';
import { createServerLogger, logRequest, PROBE_PATHS, requestIdFor, routePatternOf } from './server-logging';
import { createServerMetrics, METRICS_PATH, serveMetrics } from './server-metrics';
import { answerProbe } from './server-probes';
import { asymmetricTokenOptions } from './server-signing-keys';

export { ConfigError, type ServerOptions, serverOptionsFromEnv } from './server-config';

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  accounts: Accounts;
  server: Server;
  knex: Knex;
  logger: Logger;
  /** Delivers the outbox's events to `Lib.onEvent` and the webhook (docs/events.md). */
  relay: ServerEvents['relay'];
  /** Stops accepting connections, ends idle ones, waits for requests in flight, closes the database. */
  close(): Promise<void>;
}

/** Builds the accounts system on SQL, waits for the database, migrates, and serves on node:http. */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createServerLogger({ level: options.logLevel, destination: options.logDestination });
  const dataDir = resolve(options.dataDir ?? 'data');
  const databaseUrl = options.databaseUrl ?? `sqlite:${join(dataDir, 'accounts.db')}`;

  // Every setting is checked before the database is touched: a typo fails in a second, not after a wait.
  const tokens = tokenOptions(options, dataDir, logger);
  const codeSecret = options.codeSecret
    ? checkSecretLength('ACCOUNTS_CODE_SECRET', options.codeSecret)
    : keptSecret(dataDir, 'code-secret', 'ACCOUNTS_CODE_SECRET', 'a verification-code', logger);
  const metrics = options.metrics ? createServerMetrics() : null;
  const lib = libFor(options, tokens, codeSecret, metrics);

  let knex: Knex;
  try {
    knex = createKnexFromUrl(databaseUrl, { source: 'DATABASE_URL', knex: { log: knexLog(logger) } });
  } catch (error) {
    await lib.close();
    throw error;
  }
  const where = describeDatabase(databaseUrl);
  let redisLimits: RedisRateLimitStore | undefined;
  let events: ServerEvents | undefined;
  try {
    const sqlite = (knex.client.config as { client?: unknown }).client === 'better-sqlite3';
    await waitForDatabase(knex, {
      attempts: sqlite ? 1 : attemptsWithin(options.databaseWaitSeconds ?? 30),
      logger,
      where,
      password: passwordOf(databaseUrl),
    });
    await migrate(knex);
    logger.info({ database: where }, `database ${where} is up and migrated`);
    redisLimits = options.redisUrl ? redisRateLimitStore(options.redisUrl, logger) : undefined;
    const rateLimits = redisLimits ?? new SqlRateLimitStore(knex);
    events = startServerEvents({
      knex,
      lib,
      logger,
      webhook:
        options.webhookUrl && options.webhookSecret
          ? { url: options.webhookUrl, secret: options.webhookSecret }
          : undefined,
      retention: options.eventsRetention,
    });
    const relay = events.relay;
    // Every event goes out through the relay, at least once, even when this process dies right after a change.
    const accounts = createAccounts({
      io: new SqlIo(knex),
      lib,
      rateLimits,
      events: { delivery: 'relay', onCommitted: () => relay.wake() },
    });
    // pino's call shape is the handlers': the server's logger goes in as it is.
    const handlers = createHandlers(accounts, {
      trustProxy: options.trustProxy ?? false,
      logger,
      onRequestFinished: metrics?.onRequestFinished,
    });
    const router = new Router(handlers.routes);
    const listener = toNodeListener(handlers);
    let stopping = false;
    const readinessTimeoutMs = options.readinessTimeoutMs ?? 2000;

    const server = createServer((request, response) => {
      const requestId = requestIdFor(request);
      // The handlers log their failures with the request's id: give them the one this server uses.
      request.headers[REQUEST_ID_HEADER] = requestId;
      response.setHeader(REQUEST_ID_HEADER, requestId);
      const method = request.method ?? 'GET';
      const pathname = (request.url ?? '/').split('?')[0];
      logRequest(logger, request, response, { requestId, route: routePatternOf(router, method, pathname) });
      if (metrics !== null && pathname === METRICS_PATH) {
        serveMetrics(metrics, request, response, options.metricsToken);
        return;
      }
      if (!PROBE_PATHS.has(pathname)) {
        listener(request, response);
        return;
      }
      const problem = async () => {
        const reason = stopping ? 'shutting down' : await databaseProblem(knex, readinessTimeoutMs);
        if (reason !== null) logger.warn({ requestId, database: where, reason }, `not ready: ${reason}`);
        return reason;
      };
      answerProbe(pathname, method, problem).then(
        (answer) => writeResponse(response, answer),
        () => writeResponse(response, internalErrorResponse()),
      );
    });
    await listen(server, options.port ?? 3000, options.host ?? '127.0.0.1');
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return {
      url: `http://${host}:${address.port}`,
      host: address.address,
      port: address.port,
      accounts,
      server,
      knex,
      logger,
      relay,
      close: () => {
        stopping = true;
        return closeServer(server, knex, accounts, logger, relay).finally(() =>
          Promise.all([lib.close(), redisLimits?.close(), events?.close()]),
        );
      },
    };
  } catch (error) {
    await events?.close();
    await knex.destroy();
    await lib.close();
    await redisLimits?.close();
    throw error;
  }
}

/** Binds the port; a port in use or an address not on this machine is a `ConfigError` naming the variable. */
function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        rejectListen(
          new ConfigError(
            'PORT',
            `PORT ${port} on ${host} is already in use: stop the process holding it or set PORT to another port (0 picks a free one)`,
          ),
        );
      } else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') {
        rejectListen(
          new ConfigError(
            'HOST',
            `HOST is "${host}", which is not an address of this machine (${error.code}): use 127.0.0.1, 0.0.0.0 or one of its addresses`,
          ),
        );
      } else if (error.code === 'EACCES') {
        rejectListen(
          new ConfigError('PORT', `PORT ${port} needs privileges this process lacks: use a port above 1023`),
        );
      } else {
        rejectListen(error);
      }
    });
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      resolveListen();
    });
  });
}

/**
 * knex's own notices as log entries, first line only: its default prints stacks on the console.
 * A failed connection attempt is at debug: the failure surfaces anyway (a line of the database wait,
 * or the 500 of the request that needed the connection), so the line would say it twice.
 */
function knexLog(logger: Logger): Knex.Config['log'] {
  const firstLine = (message: unknown) => String(message instanceof Error ? message.message : message).split('\n')[0];
  return {
    warn: (message: unknown) => {
      const text = firstLine(message);
      logger[text.startsWith('Acquire connection error') ? 'debug' : 'warn']({ source: 'knex' }, text);
    },
    error: (message: unknown) => logger.error({ source: 'knex' }, firstLine(message)),
    deprecate: (method: unknown, alternative: unknown) =>
      logger.warn({ source: 'knex' }, `${String(method)} is deprecated; use ${String(alternative)}`),
    debug: (message: unknown) => logger.debug({ source: 'knex' }, firstLine(message)),
  };
}

/**
 * The rate-limit store of `ACCOUNTS_REDIS_URL` (docs/redis.md), closed with the server. Failures are
 * logged with the limit's name and the answer given (a fail-closed limit is a 429 until Redis is
 * back), never with its key, which holds addresses and IPs.
 */
function redisRateLimitStore(url: string, logger: Logger): RedisRateLimitStore {
  return createRedisRateLimitStore(url, {
    onError: (error, { operation, key, policy }) => {
      const answered = policy ? `, answered ${policy}` : '';
      logger.warn(
        { source: 'redis', operation, limit: key?.split(':')[0], policy },
        `Redis rate-limit ${operation} failed (${error instanceof Error ? error.message : String(error)})${answered}`,
      );
    },
  });
}

/** The password in a database URL, to keep it out of driver messages; none for a SQLite path. */
function passwordOf(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `Lib`. Secrets and the bcrypt cost are checked before, so what fails here is the signing key
 * (a key type or size the library refuses): the error says which variable to change.
 */
function libFor(
  options: ServerOptions,
  tokens: DefaultLibTokenOptions,
  codeSecret: string,
  metrics: AccountsMetrics | null,
): DefaultLib {
  try {
    return new DefaultLib({
      tokens,
      codeSecret,
      passwords: options.bcryptCost === undefined ? undefined : { bcryptCost: options.bcryptCost },
      emailer: metrics ? metrics.countingEmailer(emailerFor(options)) : emailerFor(options),
      onEvent: metrics?.onEvent,
    });
  } catch (error) {
    // The emailer's settings are checked in here too, and name their own variable.
    if (error instanceof ConfigError) throw error;
    const variable = 'privateKey' in tokens ? 'ACCOUNTS_JWT_PRIVATE_KEY' : 'ACCOUNTS_JWT_SECRET';
    const reason = (error as Error).message.replace(/^DefaultLib: /, '');
    throw new ConfigError(variable, `${variable} cannot sign tokens: ${reason}`);
  }
}

/**
 * The signing key: a private key (PEM text, or a file holding one) for an asymmetric algorithm, with
 * the next key of a rotation (`asymmetricTokenOptions`), else
 * an HS256 secret: given, or generated once and kept in the data directory (owner-only permissions),
 * so tokens survive restarts.
 */
function tokenOptions(options: ServerOptions, dataDir: string, logger: Logger): DefaultLibTokenOptions {
  const asymmetric = asymmetricTokenOptions(options);
  if (asymmetric) return asymmetric;
  if (options.jwtSecret) return { secret: checkSecretLength('ACCOUNTS_JWT_SECRET', options.jwtSecret) };
  return { secret: keptSecret(dataDir, 'jwt-secret', 'ACCOUNTS_JWT_SECRET', 'an HS256 signing', logger) };
}

/**
 * A secret generated once into `<dataDir>/<name>` (owner-only permissions) and read back at every
 * start, so tokens and pending codes survive restarts. Never in the database: a dump alone must not
 * hold what signs tokens or what codes are stored under.
 */
function keptSecret(dataDir: string, name: string, variable: string, what: string, logger: Logger): string {
  const file = join(dataDir, name);
  try {
    if (!existsSync(file)) {
      mkdirSync(dataDir, { recursive: true });
      try {
        writeFileSync(file, `${generateHs256Secret()}\n`, { mode: 0o600, flag: 'wx' });
        logger.info({ file }, `Generated ${what} key in ${file} (set ${variable} to use your own).`);
      } catch (error) {
        // Another process created it first: use theirs.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    throw new ConfigError(
      'ACCOUNTS_DATA_DIR',
      `ACCOUNTS_DATA_DIR is ${dataDir}, where ${file} cannot be kept (${code ?? (error as Error).message}): make ` +
        `it writable, set ACCOUNTS_DATA_DIR to a writable directory, or set ${variable}`,
    );
  }
}

/**
 * SMTP when `ACCOUNTS_SMTP_URL` is set, else the console; either way also the outbox file when
 * `ACCOUNTS_DEV_OUTBOX` is set. Never the console beside SMTP: a real deployment's log must not hold codes.
 */
function emailerFor(options: ServerOptions): Emailer {
  const { smtpUrl, mailFrom } = smtpSettings(options);
  const main =
    smtpUrl && mailFrom
      ? new SmtpEmailer({ url: smtpUrl, from: mailFrom })
      : new ConsoleEmailer(options.writeEmail ? { write: options.writeEmail } : {});
  return options.devOutbox ? new MultiEmailer(main, new OutboxEmailer(resolve(options.devOutbox))) : main;
}

/** How long a shutdown waits for code emails still on their way (a mail transport may hang). */
const DELIVERY_GRACE_MS = 10_000;

async function closeServer(
  server: Server,
  knex: Knex,
  accounts: Accounts,
  logger: Logger,
  relay: ServerEvents['relay'],
): Promise<void> {
  const closed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
  server.closeIdleConnections();
  // Requests in flight get a moment to finish; then their connections are cut.
  const deadline = setTimeout(() => server.closeAllConnections(), 5000);
  deadline.unref();
  await closed;
  clearTimeout(deadline);
  // Emails that went out after their answers may still be on their way: give them a moment.
  if (!(await accounts.settled(DELIVERY_GRACE_MS))) {
    logger.warn(
      { pendingDeliveries: accounts.pendingDeliveries },
      `shutting down with ${accounts.pendingDeliveries} code email(s) undelivered`,
    );
  }
  // The batch in hand is finished first; what is left waits in the table for the next start.
  await relay.stop();
  await knex.destroy();
}
