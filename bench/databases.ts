/**
 * The bench's databases: a fresh one per dialect (a temporary SQLite file; `accounts_bench_<random>`
 * on the MariaDB and PostgreSQL servers, dropped at the end), the library's knex pool on each, and
 * the bare driver that the baselines query it with, on a pool of the same size.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Knex } from 'knex';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createKnexFromUrl, migrate } from '../src/adapters/sql';

export type DbKind = 'sqlite' | 'mariadb' | 'postgres';

export const DB_LABEL: Record<DbKind, string> = { sqlite: 'SQLite', mariadb: 'MariaDB', postgres: 'PostgreSQL' };

/** The library's pool size on the servers (createKnexFromUrl's default), and the baselines' too. */
export const POOL_SIZE = 10;

const SERVER_URLS = {
  mariadb: process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306',
  postgres: process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432',
};

export interface BenchDatabase {
  kind: DbKind;
  knex: Knex;
  /**
   * The bare driver selecting one `sessions` row by primary key, as a prepared statement (better-sqlite3
   * `prepare`, mysql2 `execute`, a named pg statement), the fastest a hand-written query gets and what
   * the library's hot paths use: the baseline of this dialect.
   */
  selectSessionById(id: string): Promise<unknown>;
  /** The bare driver's pool (same size as the library's), for baselines running the library's own SQL. */
  mysqlPool?: mysql.Pool;
  pgPool?: pg.Pool;
  sqlite?: Database.Database;
  /** Closes both pools and drops the database. Safe to call twice. */
  close(): Promise<void>;
}

/** Why a server cannot be used, or null when it answers. */
async function probe(kind: Exclude<DbKind, 'sqlite'>): Promise<string | null> {
  try {
    if (kind === 'mariadb') {
      const connection = await mysql.createConnection({ ...mysqlOptions(SERVER_URLS.mariadb), connectTimeout: 3000 });
      await connection.end();
    } else {
      const client = new pg.Client({ connectionString: postgresUrl('postgres'), connectionTimeoutMillis: 3000 });
      await client.connect();
      await client.end();
    }
    return null;
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    return code ?? message ?? String(error);
  }
}

function mysqlOptions(url: string): mysql.ConnectionOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username) || 'root',
    password: decodeURIComponent(parsed.password),
  };
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function postgresUrl(database: string): string {
  return withDatabase(SERVER_URLS.postgres, database);
}

const SELECT_PG = 'SELECT * FROM sessions WHERE id = $1';

function freshName(): string {
  return `accounts_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** A migrated, empty database of that dialect, or the reason it cannot be had. */
export async function openBenchDatabase(kind: DbKind): Promise<BenchDatabase | { skipped: string }> {
  if (kind === 'sqlite') return openSqlite();
  const problem = await probe(kind);
  if (problem !== null) {
    const { host } = new URL(SERVER_URLS[kind]);
    const variable = kind === 'mariadb' ? 'BENCH_MYSQL_URL' : 'BENCH_PG_URL';
    return { skipped: `${DB_LABEL[kind]} unreachable at ${host} (${problem}); start it or set ${variable}` };
  }
  return kind === 'mariadb' ? openMariaDb() : openPostgres();
}

async function openSqlite(): Promise<BenchDatabase> {
  const directory = mkdtempSync(join(tmpdir(), 'accounts-bench-'));
  const file = join(directory, 'accounts.db');
  const knex = createKnexFromUrl(`sqlite:${file}`);
  await migrate(knex);
  // A connection of its own, like the library's single one.
  const bare = new Database(file);
  bare.pragma('journal_mode = WAL');
  const statement = bare.prepare('SELECT * FROM sessions WHERE id = ?');
  let closed = false;
  return {
    kind: 'sqlite',
    knex,
    sqlite: bare,
    selectSessionById: async (id) => statement.get(id),
    close: async () => {
      if (closed) return;
      closed = true;
      bare.close();
      await knex.destroy();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

async function openMariaDb(): Promise<BenchDatabase> {
  const name = freshName();
  const admin = await mysql.createConnection(mysqlOptions(SERVER_URLS.mariadb));
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  const knex = createKnexFromUrl(withDatabase(SERVER_URLS.mariadb, name), { pool: { min: 0, max: POOL_SIZE } });
  await migrate(knex);
  const pool = mysql.createPool({ ...mysqlOptions(SERVER_URLS.mariadb), database: name, connectionLimit: POOL_SIZE });
  let closed = false;
  return {
    kind: 'mariadb',
    knex,
    mysqlPool: pool,
    selectSessionById: async (id) => (await pool.execute('SELECT * FROM sessions WHERE id = ?', [id]))[0],
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
      await knex.destroy();
      const dropper = await mysql.createConnection(mysqlOptions(SERVER_URLS.mariadb));
      await dropper.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await dropper.end();
    },
  };
}

async function openPostgres(): Promise<BenchDatabase> {
  const name = freshName();
  const admin = new pg.Client({ connectionString: postgresUrl('postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const knex = createKnexFromUrl(postgresUrl(name), { pool: { min: 0, max: POOL_SIZE } });
  await migrate(knex);
  const pool = new pg.Pool({ connectionString: postgresUrl(name), max: POOL_SIZE });
  let closed = false;
  return {
    kind: 'postgres',
    knex,
    pgPool: pool,
    selectSessionById: async (id) =>
      (await pool.query({ name: 'bench_pk_select', text: SELECT_PG, values: [id] })).rows,
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
      await knex.destroy();
      const dropper = new pg.Client({ connectionString: postgresUrl('postgres') });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await dropper.end();
    },
  };
}
