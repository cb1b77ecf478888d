import { Ok, type Result } from 'ts-results';
import type { LoginEmail, User, VerificationCode } from '../ports/entities';
import type { Io } from '../ports/io';
import type { Lib } from '../ports/lib';
import { invalidateCodesOf } from './codes';
import { emit } from './context';
import { type AccountsError, fail } from './errors';
import { type LoginContext, type OpenedSession, openSession } from './session-opening';

/**
 * What a proven login code grants (SPEC §4, pre-hijacking), decided in the transaction that consumed
 * it, the user holding its address locked: a session, and the account's first verified address may
 * claim it; or nothing, when the address hung unverified on an account another address proves.
 */
export type CodeLoginGrant = Result<
  {
    userId: string;
    address: string;
    verified: boolean;
    claimed: { passwordRemoved: boolean } | null;
    opened: OpenedSession;
  },
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
  const now = lib.now();
  const user = ownerId === null ? null : await tx.lockUser(ownerId);
  // A code sent to an address nobody holds (any more) opens nothing.
  if (!user || user.deletedAt) return fail('INVALID_CODE');
  if (user.bannedAt) return fail('ACCOUNT_DISABLED');
  const address = loginCode.address;
  const emails = await tx.listLoginEmails(user.id);
  const proven = emails.find((email) => email.address === address);
  if (!proven) return fail('INVALID_CODE');

  let credentialVersion = user.credentialVersion;
  let claimed: { passwordRemoved: boolean } | null = null;
  if (proven.verifiedAt === null) {
    const provenElsewhere = emails.some((email) => email.verifiedAt !== null);
    if (provenElsewhere) return releaseAddress(lib, tx, user, proven);
    // The first proof of any address of this account: whoever set its password or holds its
    // sessions never showed they own an address, so none of it survives the one who just did.
    credentialVersion += 1;
    await tx.updateUser(user.id, { passwordHash: null, credentialVersion, updatedAt: now });
    await tx.revokeUserSessions(user.id, now);
    claimed = { passwordRemoved: user.passwordHash !== null };
  }
  const verified = await tx.markLoginEmailVerified(address, now);
  const opened = await openSession(tx, lib, { userId: user.id, method: 'code', credentialVersion }, request);
  if (!opened) return fail('INVALID_CODE');
  return Ok({ userId: user.id, address, verified, claimed, opened });
}

/**
 * The proven address hung unverified on an account that another verified address proves: whoever
 * added it never showed they own it, so the login lands nowhere and the address goes free for its
 * owner to register (SPEC §4: a code login never lands in an account proven by another address).
 */
export async function releaseAddress(lib: Lib, tx: Io, user: User, email: LoginEmail): Promise<CodeLoginGrant> {
  const now = lib.now();
  await tx.deleteLoginEmails(user.id, [email.address]);
  await invalidateCodesOf(tx, [email.address], now);
  emit(lib, { type: 'email.released', at: now, userId: user.id, address: email.address, reason: 'proven_elsewhere' });
  return fail('ADDRESS_RELEASED');
}
