import type { LoginEmail, User } from '../ports/entities';
import type { Io } from '../ports/io';
import type { Lib } from '../ports/lib';
import { invalidateCodesOf } from './codes';
import { recordEvent } from './event-log';
import { type CredentialChange, changeCredentials } from './session-opening';

/**
 * What proving control of an address by an emailed code (a code login, a password reset) does to
 * its account (docs/security-rules.md §4, pre-hijacking), in the transaction that consumed the code,
 * the user locked:
 * - `released`: the address hung unverified on an account another verified address proves. Whoever
 *   added it never showed they own it, so the proof grants nothing there and the address goes free
 *   for its owner.
 * - `proven`, `claimed`: the account's first proven address. Whoever registered it, set its password,
 *   holds its sessions or added its other addresses never showed they own any of them, so none of
 *   that survives: `change` replaces the credentials (no password for a code login, the new one for
 *   a reset), every session is revoked, the other unverified addresses go.
 * - `proven`, not claimed: the address was verified already, or is verified now on an account
 *   proven before by it.
 * Null when the address is not the user's. The transaction records what happened: `email.released`,
 * `account.claimed` (with `mfa.disabled` when a factor went), `email.verified`.
 */
export type AddressProof =
  | { outcome: 'released'; released: string[] }
  | {
      outcome: 'proven';
      /** Whether the address was unverified until now. */
      verified: boolean;
      /** `twoFactorRemoved`: a TOTP factor an unproven claimant enrolled went with the rest. */
      claimed: { passwordRemoved: boolean; twoFactorRemoved: boolean } | null;
      /** Unverified addresses taken off the account by the claim. */
      released: string[];
      /** The user's credential version once the proof is written. */
      credentialVersion: number;
    };

export async function proveAddress(
  lib: Lib,
  tx: Io,
  user: User,
  address: string,
  change: CredentialChange,
): Promise<AddressProof | null> {
  const emails = await tx.listLoginEmails(user.id);
  const proven = emails.find((email) => email.address === address);
  if (!proven) return null;
  let credentialVersion = user.credentialVersion;
  let claimed: { passwordRemoved: boolean; twoFactorRemoved: boolean } | null = null;
  let released: string[] = [];
  if (proven.verifiedAt === null) {
    if (emails.some((email) => email.verifiedAt !== null)) {
      await releaseAddresses(lib, tx, user, [proven]);
      recordReleased(tx, lib.now(), user.id, [address]);
      return { outcome: 'released', released: [address] };
    }
    // The other unverified addresses go too: kept, a claimant could verify one of theirs and log back in.
    credentialVersion = await changeCredentials(tx, user, lib.now(), change);
    const others = emails.filter((email) => email.address !== address);
    await releaseAddresses(lib, tx, user, others);
    released = others.map((email) => email.address);
    // A second factor set up before any address was proven is the claimant's, not the owner's: kept,
    // it would lock the owner out of their own account (or let the claimant in with it).
    const twoFactorRemoved = await tx.deleteTwoFactor(user.id);
    claimed = { passwordRemoved: user.passwordHash !== null, twoFactorRemoved };
    const now = lib.now();
    recordReleased(tx, now, user.id, released);
    // A reset replaces the claimant's password rather than removing it.
    const passwordRemoved = claimed.passwordRemoved && !change.passwordHash;
    recordEvent(tx, { type: 'account.claimed', at: now, userId: user.id, address, passwordRemoved });
    if (twoFactorRemoved)
      recordEvent(tx, { type: 'mfa.disabled', at: now, userId: user.id, reason: 'account_claimed' });
  }
  const verified = await tx.markLoginEmailVerified(address, lib.now());
  // The code proved control of the address: that is a verification, reported like one.
  if (verified) recordEvent(tx, { type: 'email.verified', at: lib.now(), userId: user.id, address });
  return { outcome: 'proven', verified, claimed, released, credentialVersion };
}

function recordReleased(tx: Io, at: Date, userId: string, addresses: string[]): void {
  for (const address of addresses) {
    recordEvent(tx, { type: 'email.released', at, userId, address, reason: 'proven_elsewhere' });
  }
}

/** Takes unverified addresses off an account, with every code pending for them. */
async function releaseAddresses(lib: Lib, tx: Io, user: User, emails: LoginEmail[]): Promise<void> {
  if (emails.length === 0) return;
  const addresses = emails.map((email) => email.address);
  await tx.deleteLoginEmails(user.id, addresses);
  await invalidateCodesOf(tx, addresses, lib.now());
}
