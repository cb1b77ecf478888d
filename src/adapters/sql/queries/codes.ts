import type { VerificationCode } from '../../../ports/entities';
import type { CodeScope, UsableCodeFilter } from '../../../ports/io';
import { count, countFromRow, dbTime, dbTimeOrNull, type SqlContext } from '../context';
import { toVerificationCode } from '../rows';

export async function insertVerificationCode(sql: SqlContext, code: VerificationCode): Promise<void> {
  await sql.db('verification_codes').insert({
    id: code.id,
    purpose: code.purpose,
    address: code.address,
    state: code.state,
    code_hash: code.codeHash,
    attempts: code.attempts,
    created_at: dbTime(sql, code.createdAt),
    expires_at: dbTime(sql, code.expiresAt),
    consumed_at: dbTimeOrNull(sql, code.consumedAt),
    invalidated_at: dbTimeOrNull(sql, code.invalidatedAt),
  });
}

/** `LIMIT 1`: one code is compared per request, however many match (see `Io.findUsableCode`). */
export async function findUsableCode(
  sql: SqlContext,
  filter: UsableCodeFilter,
  now: Date,
): Promise<VerificationCode | null> {
  const query = sql
    .db('verification_codes')
    .where({ purpose: filter.purpose })
    .whereNull('consumed_at')
    .whereNull('invalidated_at')
    .where('expires_at', '>', dbTime(sql, now))
    .where('attempts', '<', filter.maxAttempts)
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .first();
  if (filter.address !== undefined) query.where({ address: filter.address });
  if (filter.state !== undefined) query.where({ state: filter.state });
  const row = await query;
  return row ? toVerificationCode(row) : null;
}

/** The attempt counter moves in SQL, guarded by the same conditions, so parallel guesses cannot overshoot. */
export async function reserveCodeAttempt(
  sql: SqlContext,
  id: string,
  maxAttempts: number,
  now: Date,
): Promise<boolean> {
  const changed = await sql
    .db('verification_codes')
    .where({ id })
    .whereNull('consumed_at')
    .whereNull('invalidated_at')
    .where('expires_at', '>', dbTime(sql, now))
    .where('attempts', '<', maxAttempts)
    .increment('attempts', 1);
  return count(changed) === 1;
}

export async function consumeCode(sql: SqlContext, id: string, at: Date): Promise<boolean> {
  const changed = await sql
    .db('verification_codes')
    .where({ id })
    .whereNull('consumed_at')
    .whereNull('invalidated_at')
    .update({ consumed_at: dbTime(sql, at) });
  return count(changed) === 1;
}

export async function invalidateCodes(sql: SqlContext, scope: CodeScope, at: Date): Promise<number> {
  const query = sql.db('verification_codes').where({ purpose: scope.purpose });
  if (scope.address !== undefined) query.where({ address: scope.address });
  if (scope.state !== undefined) query.where({ state: scope.state });
  const changed = await query
    .whereNull('consumed_at')
    .whereNull('invalidated_at')
    .update({ invalidated_at: dbTime(sql, at) });
  return count(changed);
}

export async function countCodesSentSince(sql: SqlContext, address: string, since: Date): Promise<number> {
  const row = await sql
    .db('verification_codes')
    .where({ address })
    .where('created_at', '>=', dbTime(sql, since))
    .count({ n: '*' })
    .first();
  return countFromRow(row);
}
