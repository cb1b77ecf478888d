/**
 * Test databases for the SQL adapter. MariaDB and PostgreSQL suites need a running server; when one
 * cannot be reached their suites are skipped with a message, unless ACCOUNTS_TEST_REQUIRE_DBS=1, where
 * the unreachable server fails a test instead (CI must not pass by skipping).
 *
 * Redis (for the Redis rate-limit store) is probed and skipped or required the same way: `describeRedis`.
 *
 * jest's `describe` cannot await, so the servers are probed once in globalSetup (tests/support/
 * global-setup.ts), which passes the outcome to the workers through environment variables.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { createKnexFromUrl, migrate } from '../../src/adapters/sql';

export type DbKind = 'sqlite' | 'mariadb' | 'postgres';
export type ServerKind = Exclude<DbKind, 'sqlite'>;

export const SERVER_URLS: Record<ServerKind, string> = {
  mariadb: process.env.ACCOUNTS_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
  postgres: process.env.ACCOUNTS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
};

const STATUS_VARIABLE: Record<ServerKind, string> = {
  mariadb: 'ACCOUNTS_TEST_MARIADB_STATUS',
  postgres: 'ACCOUNTS_TEST_POSTGRES_STATUS',
};

export const databasesRequired = (): boolean => process.env.ACCOUNTS_TEST_REQUIRE_DBS === '1';

/** Connects once and answers null when the server works, else why it does not. */
export async function probeServer(kind: ServerKind): Promise<string | null> {
  const knex = adminKnex(kind, 2000);
  try {
    await knex.raw('select 1');
    return null;
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    return code ?? message ?? String(error);
  } finally {
    await knex.destroy();
  }
}

/** Records a probe outcome for the workers (called from globalSetup, in the parent process). */
export function recordServerStatus(kind: ServerKind, problem: string | null): void {
  process.env[STATUS_VARIABLE[kind]] = problem === null ? 'up' : `down: ${problem}`;
}

/** Why a server cannot be used, or null when it can (or when no probe ran: the tests will tell). */
export function serverProblem(kind: ServerKind): string | null {
  const status = process.env[STATUS_VARIABLE[kind]];
  return status === undefined || status === 'up' ? null : status.replace(/^down: /, '');
}

export function unreachableMessage(kind: ServerKind, problem: string): string {
  const { hostname, port } = new URL(SERVER_URLS[kind]);
  const variable = kind === 'mariadb' ? 'ACCOUNTS_TEST_MYSQL_URL' : 'ACCOUNTS_TEST_PG_URL';
  return `cannot connect to ${hostname}:${port} (${problem}); start the server or set ${variable}`;
}

/** A fresh, empty database of its own on a server, or a fresh SQLite file. */
export interface TestDatabase {
  kind: DbKind;
  url: string;
  knex: Knex;
  /** A second, independent pool on the same database. The caller destroys it. */
  connect(options?: Parameters<typeof createKnexFromUrl>[1]): Knex;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

export async function createTestDatabase(kind: DbKind, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `accounts_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  let url: string;
  let dropDatabase: () => Promise<void>;
  if (kind === 'sqlite') {
    const directory = mkdtempSync(join(tmpdir(), 'accounts-test-'));
    url = `sqlite:${join(directory, `${name}.db`)}`;
    dropDatabase = async () => rmSync(directory, { recursive: true, force: true });
  } else {
    const admin = adminKnex(kind);
    try {
      await admin.raw(kind === 'mariadb' ? `create database ${name} character set utf8mb4` : `create database ${name}`);
    } finally {
      await admin.destroy();
    }
    const parsed = new URL(SERVER_URLS[kind]);
    parsed.pathname = `/${name}`;
    url = parsed.toString();
    dropDatabase = async () => {
      const dropper = adminKnex(kind);
      try {
        await dropper.raw(
          kind === 'mariadb' ? `drop database if exists ${name}` : `drop database if exists ${name} with (force)`,
        );
      } finally {
        await dropper.destroy();
      }
    };
  }
  const knex = createKnexFromUrl(url);
  if (options.migrate ?? true) await migrate(knex);
  return {
    kind,
    url,
    knex,
    connect: (connectOptions) => createKnexFromUrl(url, connectOptions),
    drop: async () => {
      await knex.destroy();
      await dropDatabase();
    },
  };
}

/**
 * Declares a suite that runs against a fresh, migrated database of that kind (created before its
 * tests, dropped after). `body` reads the database through the getter it receives, inside tests.
 */
export function describeDb(kind: DbKind, title: string, body: (database: () => TestDatabase) => void): void {
  const label = `${title} [${kind}]`;
  const problem = kind === 'sqlite' ? null : serverProblem(kind);
  if (problem !== null && kind !== 'sqlite') {
    if (databasesRequired()) {
      describe(label, () => {
        it(`needs a reachable ${kind} server (ACCOUNTS_TEST_REQUIRE_DBS=1)`, () => {
          throw new Error(`${kind}: ${unreachableMessage(kind, problem)}`);
        });
      });
    } else {
      describe.skip(`${label} — SKIPPED: ${kind} unreachable`, () => body(() => unusable(kind)));
    }
    return;
  }
  describe(label, () => {
    let database: TestDatabase | undefined;
    beforeAll(async () => {
      database = await createTestDatabase(kind);
    });
    afterAll(async () => {
      await database?.drop();
    });
    body(() => {
      if (!database) throw new Error(`the ${kind} test database was not created (see the failure of beforeAll)`);
      return database;
    });
  });
}

/** The same suite once per kind of database. */
export function describeEachDb(title: string, body: (database: () => TestDatabase) => void): void {
  for (const kind of ['sqlite', 'mariadb', 'postgres'] as const) describeDb(kind, title, body);
}

/** The Redis the Redis suites use; ACCOUNTS_TEST_REDIS_URL overrides it. */
export const REDIS_URL = process.env.ACCOUNTS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const REDIS_STATUS_VARIABLE = 'ACCOUNTS_TEST_REDIS_STATUS';

/** Pings Redis once (ioredis, loaded here only) and answers null when it works, else why it does not. */
export async function probeRedis(): Promise<string | null> {
  const { Redis } = await import('ioredis');
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2000,
    commandTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // The socket's error (ECONNREFUSED …) says more than the "Connection is closed." connect() rejects with.
  let socketError: unknown;
  client.on('error', (error: unknown) => {
    socketError = error;
  });
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    const { code, message } = (socketError ?? error) as { code?: string; message?: string };
    return code ?? message ?? String(error);
  } finally {
    client.disconnect();
  }
}

/** Records the Redis probe outcome for the workers (globalSetup). */
export function recordRedisStatus(problem: string | null): void {
  process.env[REDIS_STATUS_VARIABLE] = problem === null ? 'up' : `down: ${problem}`;
}

/** Why Redis cannot be used, or null when it can (or when no probe ran: the tests will tell). */
export function redisProblem(): string | null {
  const status = process.env[REDIS_STATUS_VARIABLE];
  return status === undefined || status === 'up' ? null : status.replace(/^down: /, '');
}

export function redisUnreachableMessage(problem: string): string {
  const { hostname, port } = new URL(REDIS_URL);
  return `cannot connect to Redis at ${hostname}:${port || 6379} (${problem}); start redis-server or set ACCOUNTS_TEST_REDIS_URL`;
}

/**
 * Declares a suite that needs Redis at `REDIS_URL`: run when the probe reached it, else skipped
 * with the reason, or failed under ACCOUNTS_TEST_REQUIRE_DBS=1, as `describeDb` does for SQL servers.
 */
export function describeRedis(title: string, body: () => void): void {
  const label = `${title} [redis]`;
  const problem = redisProblem();
  if (problem === null) {
    describe(label, body);
  } else if (databasesRequired()) {
    describe(label, () => {
      it('needs a reachable Redis (ACCOUNTS_TEST_REQUIRE_DBS=1)', () => {
        throw new Error(`redis: ${redisUnreachableMessage(problem)}`);
      });
    });
  } else {
    describe.skip(`${label} — SKIPPED: redis unreachable`, body);
  }
}

function unusable(kind: DbKind): never {
  throw new Error(`the ${kind} suite is skipped`);
}

function adminKnex(kind: ServerKind, timeoutMs = 5000): Knex {
  const url = new URL(SERVER_URLS[kind]);
  const pool = { min: 0, max: 1 };
  // Failures are reported by the caller; knex would also print every failed connection attempt.
  const log = { warn() {}, error() {}, debug() {}, deprecate() {} };
  if (kind === 'mariadb') {
    url.searchParams.set('connectTimeout', String(timeoutMs));
    return createKnexFromUrl(url.toString(), { pool, acquireConnectionTimeout: timeoutMs, knex: { log } });
  }
  return createKnexFromUrl(url.toString(), {
    pool,
    acquireConnectionTimeout: timeoutMs,
    knex: { log, connection: { connectionString: url.toString(), connectionTimeoutMillis: timeoutMs } },
  });
}
