import type { MfaChallenge, RecoveryCode, TotpFactor } from '../../ports/entities';
import { copyRow, type Journal, Table } from './tables';

/**
 * The two-factor rows of the in-memory `Io`, a part of `MemoryStore` (which runs each call start to
 * end without an await, so every conditional write here is atomic, as its SQL statement is).
 */
export class TwoFactorRows {
  readonly #factors: Table<TotpFactor>;
  /** Keyed by `<userId> <codeHash>`, the SQL primary key. */
  readonly #recoveryCodes: Table<RecoveryCode>;
  readonly #challenges: Table<MfaChallenge>;

  constructor(journal: Journal) {
    this.#factors = new Table<TotpFactor>(journal, 'a TOTP factor of that user');
    this.#recoveryCodes = new Table<RecoveryCode>(journal, 'a recovery code with that hash');
    this.#challenges = new Table<MfaChallenge>(journal, 'an MFA challenge with that token hash');
  }

  putFactor(factor: TotpFactor): void {
    this.#factors.delete(factor.userId);
    this.#factors.insert(factor.userId, factor);
  }

  findFactor(userId: string): TotpFactor | null {
    const row = this.#factors.get(userId);
    return row ? copyRow(row) : null;
  }

  confirmFactor(userId: string, sealedSecret: string, step: number, at: Date): boolean {
    const row = this.#factors.get(userId);
    if (!row || row.confirmedAt !== null || row.sealedSecret !== sealedSecret) return false;
    this.#factors.update(userId, { confirmedAt: at, lastUsedStep: step });
    return true;
  }

  acceptStep(userId: string, step: number): boolean {
    const row = this.#factors.get(userId);
    if (!row || row.confirmedAt === null || (row.lastUsedStep !== null && row.lastUsedStep >= step)) return false;
    this.#factors.update(userId, { lastUsedStep: step });
    return true;
  }

  deleteAll(userId: string): boolean {
    this.#deleteRecoveryCodes(userId);
    return this.#factors.delete(userId);
  }

  replaceRecoveryCodes(userId: string, codes: RecoveryCode[]): void {
    this.#deleteRecoveryCodes(userId);
    for (const code of codes) this.#recoveryCodes.insert(`${code.userId} ${code.codeHash}`, code);
  }

  useRecoveryCode(userId: string, codeHash: string, at: Date): boolean {
    const key = `${userId} ${codeHash}`;
    const row = this.#recoveryCodes.get(key);
    if (!row || row.usedAt !== null) return false;
    this.#recoveryCodes.update(key, { usedAt: at });
    return true;
  }

  countUnusedRecoveryCodes(userId: string): number {
    let unused = 0;
    for (const row of this.#recoveryCodes.values()) if (row.userId === userId && row.usedAt === null) unused++;
    return unused;
  }

  insertChallenge(challenge: MfaChallenge): void {
    this.#challenges.insert(challenge.tokenHash, challenge);
  }

  deleteClosedChallenges(userId: string, now: Date): number {
    let deleted = 0;
    for (const row of [...this.#challenges.values()]) {
      if (row.userId === userId && !isOpen(row, now)) {
        this.#challenges.delete(row.tokenHash);
        deleted++;
      }
    }
    return deleted;
  }

  findChallenge(tokenHash: string): MfaChallenge | null {
    const row = this.#challenges.get(tokenHash);
    return row ? copyRow(row) : null;
  }

  reserveChallengeAttempt(tokenHash: string, maxAttempts: number, now: Date): boolean {
    const row = this.#challenges.get(tokenHash);
    if (!row || !isOpen(row, now) || row.attempts >= maxAttempts) return false;
    this.#challenges.update(tokenHash, { attempts: row.attempts + 1 });
    return true;
  }

  consumeChallenge(tokenHash: string, at: Date): boolean {
    const row = this.#challenges.get(tokenHash);
    if (!row || !isOpen(row, at)) return false;
    this.#challenges.update(tokenHash, { consumedAt: at });
    return true;
  }

  #deleteRecoveryCodes(userId: string): void {
    for (const row of [...this.#recoveryCodes.values()]) {
      if (row.userId === userId) this.#recoveryCodes.delete(`${row.userId} ${row.codeHash}`);
    }
  }
}

function isOpen(challenge: Readonly<MfaChallenge>, now: Date): boolean {
  return challenge.consumedAt === null && now.getTime() < challenge.expiresAt.getTime();
}
