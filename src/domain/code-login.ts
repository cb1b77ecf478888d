import { Ok, type Result } from 'ts-results';
import type { LoginEmail, User, VerificationCode } from '../ports/entities';
import type { Io } from '../ports/io';
import type { Lib } from '../ports/lib';
import { invalidateCodesOf } from './codes';
import { type AccountsError, fail } from './errors';
import { changeCredentials, type LoginContext, type OpenedSession, openSession } from './session-opening';

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
      claimed: { passwordRemoved: boolean } | null;
      released: string[];
      opened: OpenedSession;
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
  const emails = await tx.listLoginEmails(user.id);
  const proven = emails.find((email) => email.address === address);
  if (!proven) return fail('INVALID_CODE');

  let credentialVersion = user.credentialVersion;
  let claimed: { passwordRemoved: boolean } | null = null;
  let released: string[] = [];
  if (proven.verifiedAt === null) {
    if (emails.some((email) => email.verifiedAt !== null)) {
      // Proven by another address: whoever added this one never showed they own it. The login lands
      // nowhere and the address goes free for its owner (a code login never lands in such an account).
      await release(lib, tx, user, [proven]);
      return Ok({ outcome: 'released', userId: user.id, released: [address] });
    }
    // The first proof of any address of this account: whoever registered it, set its password, holds
    // its sessions or added its other addresses never showed they own any of them, so none of that
    // survives the one who just did. The other unverified addresses go too: kept, a claimant could
    // verify one of their own and log back in.
    credentialVersion = await changeCredentials(tx, user, lib.now(), { passwordHash: null });
    const others = emails.filter((email) => email.address !== address);
    await release(lib, tx, user, others);
    released = others.map((email) => email.address);
    claimed = { passwordRemoved: user.passwordHash !== null };
  }
  const verified = await tx.markLoginEmailVerified(address, lib.now());
  const opened = await openSession(tx, lib, { userId: user.id, method: 'code', credentialVersion }, request);
  if (!opened) return fail('INVALID_CODE');
  return Ok({ outcome: 'opened', userId: user.id, address, verified, claimed, released, opened });
}

/** Takes unverified addresses off an account, with every code pending for them. */
async function release(lib: Lib, tx: Io, user: User, emails: LoginEmail[]): Promise<void> {
  if (emails.length === 0) return;
  const addresses = emails.map((email) => email.address);
  await tx.deleteLoginEmails(user.id, addresses);
  await invalidateCodesOf(tx, addresses, lib.now());
}
