import type { FirstFactor, MfaChallenge, RecoveryCode, TotpFactor } from '../../../ports/entities';
import { count, countFromRow, dbTime, dbTimeOrNull, type SqlContext } from '../context';
import { fromDbTime, fromDbTimeOrNull } from '../dialect';
import type { Row } from '../rows';

const numberOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function toTotpFactor(row: Row): TotpFactor {
  return {
    userId: String(row.user_id),
    sealedSecret: String(row.sealed_secret),
    createdAt: fromDbTime(row.created_at),
    confirmedAt: fromDbTimeOrNull(row.confirmed_at),
    lastUsedStep: numberOrNull(row.last_used_step),
  };
}

function toMfaChallenge(row: Row): MfaChallenge {
  return {
    tokenHash: String(row.token_hash),
    userId: String(row.user_id),
    firstFactor: String(row.first_factor) as FirstFactor,
    credentialVersion: Number(row.credential_version),
    attempts: Number(row.attempts),
    createdAt: fromDbTime(row.created_at),
    expiresAt: fromDbTime(row.expires_at),
    consumedAt: fromDbTimeOrNull(row.consumed_at),
  };
}

/** One upsert on the primary key: an enrolment begun again replaces the pending factor. */
export async function putTotpFactor(sql: SqlContext, factor: TotpFactor): Promise<void> {
  await sql
    .db('totp_factors')
    .insert({
      user_id: factor.userId,
      sealed_secret: factor.sealedSecret,
      created_at: dbTime(sql, factor.createdAt),
      confirmed_at: dbTimeOrNull(sql, factor.confirmedAt),
      last_used_step: factor.lastUsedStep,
    })
    .onConflict('user_id')
    .merge();
}

export async function findTotpFactor(sql: SqlContext, userId: string): Promise<TotpFactor | null> {
  const row = await sql.db('totp_factors').where({ user_id: userId }).first();
  return row ? toTotpFactor(row) : null;
}

export async function confirmTotpFactor(
  sql: SqlContext,
  userId: string,
  sealedSecret: string,
  step: number,
  at: Date,
): Promise<boolean> {
  const changed = await sql
    .db('totp_factors')
    .where({ user_id: userId, sealed_secret: sealedSecret })
    .whereNull('confirmed_at')
    .update({ confirmed_at: dbTime(sql, at), last_used_step: step });
  return count(changed) === 1;
}

/** `last_used_step < step` in the UPDATE decides: of concurrent uses of one code exactly one wins. */
export async function acceptTotpStep(sql: SqlContext, userId: string, step: number): Promise<boolean> {
  const changed = await sql
    .db('totp_factors')
    .where({ user_id: userId })
    .whereNotNull('confirmed_at')
    .andWhere((unused) => unused.whereNull('last_used_step').orWhere('last_used_step', '<', step))
    .update({ last_used_step: step });
  return count(changed) === 1;
}

export async function deleteTwoFactor(sql: SqlContext, userId: string): Promise<boolean> {
  await sql.db('recovery_codes').where({ user_id: userId }).delete();
  return count(await sql.db('totp_factors').where({ user_id: userId }).delete()) === 1;
}

export async function replaceRecoveryCodes(sql: SqlContext, userId: string, codes: RecoveryCode[]): Promise<void> {
  await sql.db('recovery_codes').where({ user_id: userId }).delete();
  if (codes.length === 0) return;
  await sql.db('recovery_codes').insert(
    codes.map((code) => ({
      user_id: code.userId,
      code_hash: code.codeHash,
      created_at: dbTime(sql, code.createdAt),
      used_at: dbTimeOrNull(sql, code.usedAt),
    })),
  );
}

export async function useRecoveryCode(sql: SqlContext, userId: string, codeHash: string, at: Date): Promise<boolean> {
  const changed = await sql
    .db('recovery_codes')
    .where({ user_id: userId, code_hash: codeHash })
    .whereNull('used_at')
    .update({ used_at: dbTime(sql, at) });
  return count(changed) === 1;
}

export async function countUnusedRecoveryCodes(sql: SqlContext, userId: string): Promise<number> {
  const row = await sql.db('recovery_codes').where({ user_id: userId }).whereNull('used_at').count({ n: '*' }).first();
  return countFromRow(row);
}

export async function insertMfaChallenge(sql: SqlContext, challenge: MfaChallenge): Promise<void> {
  await sql.db('mfa_challenges').insert({
    token_hash: challenge.tokenHash,
    user_id: challenge.userId,
    first_factor: challenge.firstFactor,
    credential_version: challenge.credentialVersion,
    attempts: challenge.attempts,
    created_at: dbTime(sql, challenge.createdAt),
    expires_at: dbTime(sql, challenge.expiresAt),
    consumed_at: dbTimeOrNull(sql, challenge.consumedAt),
  });
}

export async function deleteClosedMfaChallenges(sql: SqlContext, userId: string, now: Date): Promise<number> {
  const deleted = await sql
    .db('mfa_challenges')
    .where({ user_id: userId })
    .andWhere((closed) => closed.whereNotNull('consumed_at').orWhere('expires_at', '<=', dbTime(sql, now)))
    .delete();
  return count(deleted);
}

export async function findMfaChallenge(sql: SqlContext, tokenHash: string): Promise<MfaChallenge | null> {
  const row = await sql.db('mfa_challenges').where({ token_hash: tokenHash }).first();
  return row ? toMfaChallenge(row) : null;
}

export async function reserveMfaChallengeAttempt(
  sql: SqlContext,
  tokenHash: string,
  maxAttempts: number,
  now: Date,
): Promise<boolean> {
  const changed = await sql
    .db('mfa_challenges')
    .where({ token_hash: tokenHash })
    .whereNull('consumed_at')
    .where('expires_at', '>', dbTime(sql, now))
    .where('attempts', '<', maxAttempts)
    .increment('attempts', 1);
  return count(changed) === 1;
}

export async function consumeMfaChallenge(sql: SqlContext, tokenHash: string, at: Date): Promise<boolean> {
  const changed = await sql
    .db('mfa_challenges')
    .where({ token_hash: tokenHash })
    .whereNull('consumed_at')
    .where('expires_at', '>', dbTime(sql, at))
    .update({ consumed_at: dbTime(sql, at) });
  return count(changed) === 1;
}
