/**
 * Baselines that run the library's own hot-path SQL (the very statement texts, imported from the SQL
 * adapter) through the bare driver on a pool of the same size: what the statements cost without
 * the library around them. A case's ratio to its bare-SQL twin is the library's own overhead; the
 * twin's ratio to a primary-key select is what the statements themselves cost the database (a
 * write, a lock and a durable commit cost far more than a read by primary key).
 */
import { createHash, randomBytes } from 'node:crypto';
import { FIND_CLIENT_WITH_RESTRICTIONS } from '../src/adapters/sql/queries/clients';
import {
  CONSUME_AND_TOUCH,
  FIND_REFRESH_TOKEN_WITH_SESSION,
  FIND_SESSION_WITH_USER,
  INSERT_REFRESH_TOKEN,
  ROTATE_POSTGRES,
} from '../src/adapters/sql/queries/sessions';
import { LOCK_USER_WITH_SESSION } from '../src/adapters/sql/queries/users';
import { HIT_UPSERT_MARIADB } from '../src/adapters/sql/rate-limit-store';
import type { BenchDatabase } from './databases';
import { type CaseSpec, cycle } from './harness';
import type { Dataset } from './seed';

const DAY_MS = 86_400_000;
const hashOf = (secret: string) => createHash('sha256').update(secret).digest('base64url');

/** One refresh token per seeded session, rotated in a queue as the library's refresh case does. */
interface BareSession {
  userId: string;
  sessionId: string;
  tokenHash: string;
}

function bareSessions(dataset: Dataset, hashSecret: (secret: string) => string): BareSession[] {
  return dataset.users.map((u) => ({
    userId: u.user.id,
    sessionId: u.session.id,
    tokenHash: hashSecret(u.refreshToken),
  }));
}

/**
 * A refresh on MariaDB through bare mysql2, statement for statement what `SqlIo` sends: the lookup,
 * BEGIN, the user-with-session lock, consume-and-touch, the insert of the next token, COMMIT.
 */
export function bareMariaDbRefresh(
  db: BenchDatabase,
  dataset: Dataset,
  hashSecret: (secret: string) => string,
): CaseSpec {
  const pool = db.mysqlPool!;
  const queue = bareSessions(dataset, hashSecret);
  return {
    id: 'baseline.mariadb.refresh-sql',
    label: 'the refresh statements through bare mysql2 (execute, one transaction)',
    op: async () => {
      const entry = queue.shift();
      if (entry === undefined) return 'NO_UNUSED_TOKEN';
      const now = new Date();
      const idleExpiresAt = new Date(now.getTime() + 14 * DAY_MS);
      const next = hashOf(randomBytes(32).toString('base64url'));
      await pool.execute(FIND_REFRESH_TOKEN_WITH_SESSION.text.mysql, [entry.tokenHash]);
      const connection = await pool.getConnection();
      try {
        await connection.query('BEGIN');
        await connection.execute(LOCK_USER_WITH_SESSION.text.mysql, [entry.userId, entry.sessionId]);
        const [changed] = await connection.execute(CONSUME_AND_TOUCH.text.mysql, [
          now,
          now,
          idleExpiresAt,
          entry.tokenHash,
          entry.sessionId,
        ]);
        if ((changed as { affectedRows: number }).affectedRows === 0) throw new Error('bare refresh lost its token');
        await connection.execute(INSERT_REFRESH_TOKEN.text.mysql, [next, entry.sessionId, now, idleExpiresAt, null]);
        await connection.query('COMMIT');
      } finally {
        connection.release();
      }
      queue.push({ ...entry, tokenHash: next });
      return null;
    },
  };
}

/** The same on PostgreSQL through bare pg: the lookup, BEGIN, the lock, the one rotating statement, COMMIT. */
export function barePostgresRefresh(
  db: BenchDatabase,
  dataset: Dataset,
  hashSecret: (secret: string) => string,
): CaseSpec {
  const pool = db.pgPool!;
  const queue = bareSessions(dataset, hashSecret);
  const named = (name: string, text: string, values: unknown[]) => ({ name: `bare_${name}`, text, values });
  return {
    id: 'baseline.postgres.refresh-sql',
    label: 'the refresh statements through bare pg (named statements, one transaction)',
    op: async () => {
      const entry = queue.shift();
      if (entry === undefined) return 'NO_UNUSED_TOKEN';
      const now = new Date();
      const idleExpiresAt = new Date(now.getTime() + 14 * DAY_MS);
      const next = hashOf(randomBytes(32).toString('base64url'));
      await pool.query(named('lookup', FIND_REFRESH_TOKEN_WITH_SESSION.text.postgres, [entry.tokenHash]));
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(named('lock', LOCK_USER_WITH_SESSION.text.postgres, [entry.userId, entry.sessionId]));
        const rotated = await client.query(
          named('rotate', ROTATE_POSTGRES.text.postgres, [
            now,
            entry.tokenHash,
            entry.sessionId,
            now,
            idleExpiresAt,
            next,
            now,
            idleExpiresAt,
          ]),
        );
        if (rotated.rowCount !== 1) throw new Error('bare refresh lost its token');
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      queue.push({ ...entry, tokenHash: next });
      return null;
    },
  };
}

/**
 * Key authentication on MariaDB through bare mysql2: the client with its restrictions, then the
 * `reqsPerSec` counter's upsert, as `ClientService.authenticate` on `SqlIo` and `SqlRateLimitStore`
 * send them (the secret check and restriction matching are left out: they cost microseconds).
 */
export function bareMariaDbKeyAuthentication(db: BenchDatabase, dataset: Dataset): CaseSpec {
  const pool = db.mysqlPool!;
  const client = cycle(dataset.clients.map((c) => c.client.id));
  return {
    id: 'baseline.mariadb.key-auth-sql',
    label: 'the key authentication statements through bare mysql2 (execute)',
    op: async () => {
      const id = client();
      const now = new Date();
      const resetAt = new Date(now.getTime() + 1000);
      await pool.execute(FIND_CLIENT_WITH_RESTRICTIONS.text.mysql, [id]);
      await pool.execute(HIT_UPSERT_MARIADB.text.mysql, [`bare:${id}`, 1, resetAt, now, 1, 1, now, resetAt]);
      return null;
    },
  };
}

/**
 * Strict validation's one statement (the session joined to its user) through the bare driver, rows
 * as arrays as the library reads them, without the JWT verification the library does first.
 */
export function bareStrictLookup(db: BenchDatabase, dataset: Dataset): CaseSpec {
  const session = cycle(dataset.users.map((u) => u.session.id));
  const id = `baseline.${db.kind}.strict-sql`;
  const label = 'the strict-validation join through the bare driver';
  if (db.sqlite) {
    const statement = db.sqlite.prepare(FIND_SESSION_WITH_USER.text.sqlite).raw(true);
    return { id, label, op: async () => (statement.all(session()).length === 1 ? null : 'NOT_FOUND') };
  }
  if (db.mysqlPool) {
    const pool = db.mysqlPool;
    const sql = FIND_SESSION_WITH_USER.text.mysql;
    return {
      id,
      label,
      op: async () => {
        const [rows] = await pool.execute({ sql, rowsAsArray: true }, [session()]);
        return (rows as unknown[]).length === 1 ? null : 'NOT_FOUND';
      },
    };
  }
  const pool = db.pgPool!;
  const text = FIND_SESSION_WITH_USER.text.postgres;
  return {
    id,
    label,
    op: async () => {
      const result = await pool.query({ name: 'bare_strict', text, values: [session()], rowMode: 'array' });
      return result.rows.length === 1 ? null : 'NOT_FOUND';
    },
  };
}
