import { Ok, type Result } from 'ts-results';
import type { VerificationCode } from '../ports/entities';
import type { Io } from '../ports/io';
import type { Lib } from '../ports/lib';
import { proveAddress } from './address-proof';
import { type AccountsError, fail } from './errors';
import { recordEvent } from './event-log';
import { type LoginStep, openSessionOrChallenge } from './mfa-login';
import type { LoginContext } from './session-opening';

/**
 * What a proven login code grants (docs/security-rules.md §4, pre-hijacking), decided in the transaction that consumed
 * it, the user holding its address locked: a session (and the account itself, when this is its first
 * verified address); or nothing, when the address hung unverified on an account another address
 * proves, and the address is released. Addresses released either way are listed, for their events,
 * which go out once the transaction committed.
 */
export type CodeLoginGrant = Result<
  | {
      outcome: 'opened';
      userId: string;
      address: string;
      verified: boolean;
      claimed: { passwordRemoved: boolean; twoFactorRemoved: boolean } | null;
      released: string[];
      /** A session, or (two-factor on) a challenge for the second factor: the address is proven either way. */
      step: LoginStep;
    }
  | { outcome: 'released'; userId: string; released: string[] },
  AccountsError
>;

/** What a proven login code grants: runs in the transaction that consumed it, the user locked. */
export async function grantCodeLogin(
  lib: Lib,
  tx: Io,
  loginCode: VerificationCode,
  ownerId: string | null,
  request: LoginContext,
): Promise<CodeLoginGrant> {
  const user = ownerId === null ? null : await tx.lockUser(ownerId);
  // A code sent to an address nobody holds (any more) opens nothing.
  if (!user || user.deletedAt) return fail('INVALID_CODE');
  if (user.bannedAt) return fail('ACCOUNT_DISABLED');
  const address = loginCode.address;
  const proof = await proveAddress(lib, tx, user, address, { passwordHash: null });
  if (!proof) return fail('INVALID_CODE');
  if (proof.outcome === 'released') return Ok({ outcome: 'released', userId: user.id, released: proof.released });
  const { verified, claimed, released, credentialVersion } = proof;
  // The claim revoked every session set up before the address was proven.
  if (claimed)
    recordEvent(tx, {
      type: 'session.revoked',
      at: lib.now(),
      userId: user.id,
      sessionId: null,
      reason: 'account_claimed',
    });
  const step = await openSessionOrChallenge(tx, lib, { userId: user.id, method: 'code', credentialVersion }, request);
  if (!step) return fail('INVALID_CODE');
  return Ok({ outcome: 'opened', userId: user.id, address, verified, claimed, released, step });
}
