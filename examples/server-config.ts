import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DestinationStream, Logger } from 'pino';
import { MIN_HS256_SECRET_BYTES } from '../src/adapters/lib';
import { mailboxProblem, smtpOptionsFromUrl } from '../src/adapters/smtp';

/**
 * A setting of the example server that cannot be used. The message names the variable, says what is
 * wrong with its value and what to set instead; it never repeats a value that may be a secret.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    /** The environment variable at fault, e.g. `ACCOUNTS_TRUST_PROXY`. */
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

/** Everything the example server can be told; `serverOptionsFromEnv` reads them from the environment. */
export interface ServerOptions {
  /** `PORT`. Default 3000; 0 picks a free port (the bound one is in `RunningServer.port`). */
  port?: number;
  /** `HOST`. Default 127.0.0.1. */
  host?: string;
  /** `DATABASE_URL`: `mysql://…`, `postgres://…`, `sqlite:<path>` or a file path. Default `<dataDir>/accounts.db`. */
  databaseUrl?: string;
  /**
   * `ACCOUNTS_REDIS_URL`: `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). When set,
   * the rate-limit counters live in Redis (`RedisRateLimitStore`, docs/redis.md) instead of the
   * database's `rate_limits` table; when Redis fails, guessing limits fail closed (429). Default unset.
   */
  redisUrl?: string;
  /** `ACCOUNTS_DATA_DIR`: holds the SQLite file and the generated keys. Default `./data`. */
  dataDir?: string;
  /** `ACCOUNTS_JWT_SECRET`: HS256 secret (32 bytes or more). Default: generated once into `<dataDir>/jwt-secret`. */
  jwtSecret?: string;
  /**
   * `ACCOUNTS_JWT_PRIVATE_KEY`: a private key (RSA, EC P-256 or Ed25519) that signs asymmetrically.
   * A value containing `-----BEGIN` is the PEM text itself; anything else must be the path of an
   * existing file holding it.
   */
  jwtPrivateKey?: string;
  /**
   * `ACCOUNTS_JWT_NEXT_PRIVATE_KEY`: the key a rotation moves to (PEM text or a file path, as
   * `jwtPrivateKey`, and of the same type), published in the JWKS at once and signing from
   * `jwtNextKeyFrom`. See docs/deployment.md for the procedure.
   */
  jwtNextPrivateKey?: string;
  /**
   * `ACCOUNTS_JWT_NEXT_KEY_FROM`: the instant the next key starts signing, an ISO 8601 date-time with
   * a time zone (`2027-03-01T12:00:00Z`); checked at start with the next key.
   */
  jwtNextKeyFrom?: string;
  /**
   * `ACCOUNTS_CODE_SECRET`: the key verification codes are stored under (HMAC, 32 bytes or more),
   * never in the database. Default: generated once into `<dataDir>/code-secret`.
   */
  codeSecret?: string;
  /** `ACCOUNTS_DEV_OUTBOX`: a file every email is appended to as one JSON line (development). */
  devOutbox?: string;
  /**
   * `ACCOUNTS_SMTP_URL`: `smtp://user:pass@host:587` (STARTTLS required; `?requireTLS=false` for a
   * local relay only) or `smtps://…:465`, user and password percent-encoded; emails then go out
   * through `SmtpEmailer` instead of being printed. Needs `mailFrom`.
   */
  smtpUrl?: string;
  /** `ACCOUNTS_MAIL_FROM`: the From address of the emails sent over SMTP, e.g. `"Example" <accounts@example.com>`. */
  mailFrom?: string;
  /** `ACCOUNTS_BCRYPT_COST`: 4–31, default 10. Lower only in tests. */
  bcryptCost?: number;
  /** `ACCOUNTS_TRUST_PROXY`: see `HandlersOptions.trustProxy`. Default false. */
  trustProxy?: boolean | number;
  /**
   * `ACCOUNTS_DB_WAIT_SECONDS`: about how long to wait for the database at startup, retrying with a
   * backoff from 0.1 s doubling up to 2 s between attempts. 0 tries once. Default 30.
   */
  databaseWaitSeconds?: number;
  /** `ACCOUNTS_LOG_LEVEL`: one of `LOG_LEVELS`. Default `info` (probes of /healthz and /readyz are `debug`). */
  logLevel?: LogLevel;
  /** The logger to use instead of one built from `logLevel` and `logDestination`. */
  logger?: Logger;
  /** Where the JSON log lines go. Default stdout. */
  logDestination?: DestinationStream;
  /** Where the console emailer prints. Default stdout. */
  writeEmail?: (text: string) => void;
  /** How long `/readyz` waits for the database's `select 1`. Default 2000 ms. */
  readinessTimeoutMs?: number;
  /**
   * `ACCOUNTS_METRICS`: `1` (or `true`) serves Prometheus metrics at `GET /metrics` (see
   * examples/server-metrics.ts; not for the public internet). Default off.
   */
  metrics?: boolean;
  /** `ACCOUNTS_METRICS_TOKEN`: when set, `/metrics` answers only `Authorization: Bearer <token>`. */
  metricsToken?: string;
  /**
   * `ACCOUNTS_WEBHOOK_URL`: an http(s) URL every event is POSTed to, signed (Standard Webhooks,
   * docs/events.md), beside `Lib.onEvent`. Needs `webhookSecret`.
   */
  webhookUrl?: string;
  /** `ACCOUNTS_WEBHOOK_SECRET`: the signing secret shared with the receiver (`whsec_…`, 32 bytes or more). */
  webhookSecret?: string;
  /**
   * `ACCOUNTS_EVENTS_RETENTION`: `90d`, `12h` or `30m`; delivered events older than this are deleted
   * every hour. Unset: kept until `accounts-module prune-events` deletes them.
   */
  eventsRetention?: string;
}

/** The levels `ACCOUNTS_LOG_LEVEL` accepts: pino's, and `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Reads the variables of the example server (README, "The example server"); throws `ConfigError`. */
export function serverOptionsFromEnv(env: NodeJS.ProcessEnv): ServerOptions {
  // An empty variable counts as unset, as shells and compose files often leave them.
  const given = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  const whole = (name: string, range: [number, number], meaning: string) =>
    wholeNumber(name, given(name), range, meaning);
  return {
    port: whole('PORT', [0, 65_535], 'a port number from 0 to 65535 (0 picks a free port); unset, it is 3000'),
    host: given('HOST'),
    databaseUrl: given('DATABASE_URL'),
    redisUrl: redisUrlFrom(given('ACCOUNTS_REDIS_URL')),
    dataDir: given('ACCOUNTS_DATA_DIR'),
    jwtSecret: given('ACCOUNTS_JWT_SECRET'),
    jwtPrivateKey: given('ACCOUNTS_JWT_PRIVATE_KEY'),
    jwtNextPrivateKey: given('ACCOUNTS_JWT_NEXT_PRIVATE_KEY'),
    jwtNextKeyFrom: given('ACCOUNTS_JWT_NEXT_KEY_FROM'),
    codeSecret: given('ACCOUNTS_CODE_SECRET'),
    devOutbox: given('ACCOUNTS_DEV_OUTBOX'),
    ...smtpSettings({ smtpUrl: given('ACCOUNTS_SMTP_URL'), mailFrom: given('ACCOUNTS_MAIL_FROM') }),
    bcryptCost: whole('ACCOUNTS_BCRYPT_COST', [4, 31], 'a bcrypt cost from 4 to 31; unset, it is 10'),
    trustProxy: trustProxyFrom(given('ACCOUNTS_TRUST_PROXY')),
    databaseWaitSeconds: whole(
      'ACCOUNTS_DB_WAIT_SECONDS',
      [0, 3600],
      'a number of seconds from 0 to 3600; unset, it is 30',
    ),
    logLevel: logLevelFrom(given('ACCOUNTS_LOG_LEVEL')),
    metrics: metricsSwitchFrom(given('ACCOUNTS_METRICS')),
    metricsToken: given('ACCOUNTS_METRICS_TOKEN'),
    ...webhookSettings({ webhookUrl: given('ACCOUNTS_WEBHOOK_URL'), webhookSecret: given('ACCOUNTS_WEBHOOK_SECRET') }),
    eventsRetention: given('ACCOUNTS_EVENTS_RETENTION'),
  };
}

/**
 * Checks `ACCOUNTS_WEBHOOK_URL` and `ACCOUNTS_WEBHOOK_SECRET` together: an unsigned webhook is one
 * anybody can forge, and a secret without a URL means events the operator expects go nowhere.
 */
export function webhookSettings(
  settings: Pick<ServerOptions, 'webhookUrl' | 'webhookSecret'>,
): Pick<ServerOptions, 'webhookUrl' | 'webhookSecret'> {
  const { webhookUrl, webhookSecret } = settings;
  if (webhookUrl === undefined && webhookSecret === undefined) return {};
  if (webhookUrl === undefined) {
    throw new ConfigError(
      'ACCOUNTS_WEBHOOK_URL',
      'ACCOUNTS_WEBHOOK_SECRET is set without ACCOUNTS_WEBHOOK_URL: set both or neither',
    );
  }
  let url: URL | null = null;
  try {
    url = new URL(webhookUrl);
  } catch {
    url = null;
  }
  // Never quoted: a URL may carry credentials.
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new ConfigError(
      'ACCOUNTS_WEBHOOK_URL',
      'ACCOUNTS_WEBHOOK_URL is not an http(s) URL: use https://receiver.example.com/hooks',
    );
  }
  if (webhookSecret === undefined) {
    throw new ConfigError(
      'ACCOUNTS_WEBHOOK_SECRET',
      'ACCOUNTS_WEBHOOK_URL is set without ACCOUNTS_WEBHOOK_SECRET: every request is signed, set the secret the receiver checks',
    );
  }
  return { webhookUrl, webhookSecret: checkSecretLength('ACCOUNTS_WEBHOOK_SECRET', webhookSecret) };
}

function metricsSwitchFrom(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const word = value.trim().toLowerCase();
  if (word === '1' || word === 'true') return true;
  if (word === '0' || word === 'false') return false;
  throw new ConfigError(
    'ACCOUNTS_METRICS',
    `ACCOUNTS_METRICS is "${shown(value)}": use 1 (serve GET /metrics) or 0 (the default: no metrics)`,
  );
}

function wholeNumber(
  name: string,
  value: string | undefined,
  [min, max]: [number, number],
  meaning: string,
): number | undefined {
  if (value === undefined) return undefined;
  const parsed = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (Number.isSafeInteger(parsed) && parsed >= min && parsed <= max) return parsed;
  throw new ConfigError(name, `${name} is "${shown(value)}": it must be ${meaning}`);
}

function redisUrlFrom(value: string | undefined): string | undefined {
  if (value === undefined || /^rediss?:\/\//i.test(value.trim())) return value?.trim();
  // Never quoted: the value may hold a password.
  throw new ConfigError(
    'ACCOUNTS_REDIS_URL',
    'ACCOUNTS_REDIS_URL is not a redis:// URL: use redis://host:6379 (rediss:// for TLS, ' +
      'redis://:password@host:6379/0 with a password), or unset it to keep the rate limits in the database',
  );
}

function trustProxyFrom(value: string | undefined): boolean | number | undefined {
  const variable = 'ACCOUNTS_TRUST_PROXY';
  if (value === undefined) return undefined;
  const word = value.trim().toLowerCase();
  if (word === 'true') return true;
  if (word === 'false') return false;
  if (/^\d+$/.test(word) && Number(word) <= 100) return Number(word);
  throw new ConfigError(
    variable,
    `${variable} is "${shown(value)}": use true (one reverse proxy in front of the server), false (none: ` +
      'the default) or the whole number of proxies in the chain, e.g. 2',
  );
}

function logLevelFrom(value: string | undefined): LogLevel | undefined {
  if (value === undefined) return undefined;
  const level = LOG_LEVELS.find((candidate) => candidate === value.trim().toLowerCase());
  if (level) return level;
  throw new ConfigError(
    'ACCOUNTS_LOG_LEVEL',
    `ACCOUNTS_LOG_LEVEL is "${shown(value)}": use one of ${LOG_LEVELS.join(', ')}`,
  );
}

/** A value quoted in an error: cut, with control characters shown as `?`, so it cannot break the line. */
function shown(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  const printable = value.replace(/[\u0000-\u001f\u007f]/g, '?');
  return printable.length > 40 ? `${printable.slice(0, 40)}…` : printable;
}

/**
 * The PEM text of `ACCOUNTS_JWT_PRIVATE_KEY`: the value itself when it contains `-----BEGIN`, else
 * the content of the file it names, which must exist. Either way it must parse as a private key.
 * Errors never quote the value unless it is a path that exists: a key pasted without its header
 * must not end up in a terminal or log.
 */
export function privateKeyPem(value: string, variable = 'ACCOUNTS_JWT_PRIVATE_KEY'): string {
  const accepted = 'set it to the PEM text of the key (starting with -----BEGIN) or to the path of a file holding it';
  let pem = value;
  let origin = 'given as text';
  if (!value.includes('-----BEGIN')) {
    const file = resolve(value.trim());
    if (value.includes('\n') || !existsSync(file) || !statSync(file).isFile()) {
      throw new ConfigError(
        variable,
        `${variable} is neither a PEM private key (its text does not start with -----BEGIN) nor the path of an existing file: ${accepted}`,
      );
    }
    pem = readFileSync(file, 'utf8');
    origin = `read from ${file}`;
  }
  try {
    if (createPrivateKey(pem).type !== 'private') throw new Error('not a private key');
  } catch (error) {
    throw new ConfigError(
      variable,
      `${variable} (${origin}) is not a usable PEM private key (${(error as Error).message}): ` +
        'give an unencrypted RSA, EC P-256 or Ed25519 private key in PKCS#8 or traditional PEM, e.g. from ' +
        '`openssl genpkey -algorithm ed25519`',
    );
  }
  return pem;
}

/** Refuses a secret shorter than the library accepts, naming the variable (the value is never shown). */
export function checkSecretLength(variable: string, secret: string): string {
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes >= MIN_HS256_SECRET_BYTES) return secret;
  throw new ConfigError(
    variable,
    `${variable} is ${bytes} bytes long: it must be at least ${MIN_HS256_SECRET_BYTES} random bytes, e.g. ` +
      '`openssl rand -base64 32`; unset it to have one generated and kept under the data directory',
  );
}

/**
 * Checks `ACCOUNTS_SMTP_URL` and `ACCOUNTS_MAIL_FROM` together: each needs the other (a From address
 * without a server would leave the codes printed while the operator believes them mailed). Errors
 * show the URL with its password replaced by `***`.
 */
export function smtpSettings(
  settings: Pick<ServerOptions, 'smtpUrl' | 'mailFrom'>,
): Pick<ServerOptions, 'smtpUrl' | 'mailFrom'> {
  const { smtpUrl, mailFrom } = settings;
  if (smtpUrl === undefined) {
    if (mailFrom === undefined) return { smtpUrl, mailFrom };
    throw new ConfigError(
      'ACCOUNTS_MAIL_FROM',
      'ACCOUNTS_MAIL_FROM is set but ACCOUNTS_SMTP_URL is not: set ACCOUNTS_SMTP_URL (smtp://user:pass@host:587) ' +
        'to send email, or unset ACCOUNTS_MAIL_FROM',
    );
  }
  try {
    smtpOptionsFromUrl(smtpUrl);
  } catch (error) {
    throw new ConfigError(
      'ACCOUNTS_SMTP_URL',
      (error as Error).message.replace(/^SmtpEmailer: the URL/, 'ACCOUNTS_SMTP_URL'),
    );
  }
  // One address without control characters: CR/LF would add headers, a list would add senders.
  const fromProblem = mailFrom === undefined ? undefined : mailboxProblem(mailFrom);
  if (mailFrom === undefined || fromProblem !== undefined) {
    throw new ConfigError(
      'ACCOUNTS_MAIL_FROM',
      `ACCOUNTS_MAIL_FROM ${mailFrom === undefined ? 'is not set' : `is "${shown(mailFrom)}" (${fromProblem})`}: ` +
        'with ACCOUNTS_SMTP_URL it must be the From address of the emails, e.g. accounts@example.com or ' +
        '"Example" <accounts@example.com>',
    );
  }
  return { smtpUrl, mailFrom };
}
